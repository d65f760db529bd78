"""Pages drawn once with the real templates and filled in per learner (the lesson page cache, the dashboard).

A drawing marks each place one learner's facts go with a `slot`: "\\x00name:arg\\x00" (`arg` an id or key of
ours, often empty). NUL never survives into published HTML, a title, a name or a form field, so nobody can
type one. `cut` splits a drawing at its slots once; filling it is then a join.
"""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup, escape


def slot(name: str, arg: object = "") -> Markup:
    """A place in a drawing that its filler fills (`name` and `arg` are ours, never typed by anyone)."""
    return Markup("\x00%s:%s\x00") % (name, arg)


class Drawn:
    """A drawing cut at its slots: `parts` holds the text between slots and "" at each slot."""

    __slots__ = ("parts", "_places", "_format", "_names")

    def __init__(self, parts: tuple[str, ...], places: dict[str, tuple[tuple[int, object], ...]]):
        self.parts = parts
        self._places = places
        # The same text as a str.format pattern, for `fill`: the text's braces doubled, each slot "{name}".
        self._format = "".join(part.replace("{", "{{").replace("}", "}}") if i % 2 == 0 else "{" + name + "}"
                               for i, (part, name) in enumerate(zip(parts, _names_at(parts, places), strict=True)))
        self._names = tuple(places)

    def places(self, name: str) -> tuple[tuple[int, object], ...]:
        """(place in `parts`, arg) of each slot of that name, in order."""
        return self._places.get(name, ())

    def fill(self, values: dict) -> Markup:
        """The drawing with each slot holding its name's value, escaped (Markup stays as it is)."""
        return Markup(self._format.format_map({name: escape(values[name]) for name in self._names}))  # noqa: S704


def _names_at(parts: tuple[str, ...], places: dict) -> list[str]:
    names = [""] * len(parts)
    for name, found in places.items():
        for place, _arg in found:
            names[place] = name
    return names


def cut(drawing: str, ids: tuple[str, ...] = ()) -> Drawn:
    """`drawing` (with `slot`s) as a `Drawn`; the args of the slots named in `ids` are read as ints."""
    parts = drawing.split("\x00")  # text, slot, text, slot, ..., text
    places: dict[str, list] = {}
    for place in range(1, len(parts), 2):
        name, _, arg = parts[place].partition(":")
        places.setdefault(name, []).append((place, int(arg) if name in ids else arg))
        parts[place] = ""
    return Drawn(tuple(parts), {name: tuple(found) for name, found in places.items()})


def no_messages(**_options) -> list:
    """`get_flashed_messages` for a drawing: a message waiting is one learner's, shown by the filler."""
    return []


#: Whoever is signed in, as the header draws them in a drawing: their name is the slot "name".
SOMEONE = SimpleNamespace(is_authenticated=True, full_name=str(slot("name")))
