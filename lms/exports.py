"""CSV downloads: one place that makes cells safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell that would run as a spreadsheet formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterable[str]:
    """Each row as one CSV line, produced as it is read (for streaming large exports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """A streamed CSV download. The rows are read while the body is sent, so the generator keeps the
    request (and its database session) alive; personal data, so never cached."""
    return Response(stream_with_context(csv_lines(rows)), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
