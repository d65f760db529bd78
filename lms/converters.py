"""URL converters: an id in a URL is a database id, so one too big for the column is "not found"."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: Largest value of an INTEGER column on PostgreSQL (SQLite's is larger); ids never exceed it.
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` that matches only 0..MAX_ID, so /attempts/99999999999999999999 is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app) -> None:
    """Must run before any blueprint registers its routes."""
    app.url_map.converters["int"] = DatabaseIdConverter
