"""The line-aware pass over a file's body that runs before Markdown.

It finds ``///`` blocks (track, question, reflection and pymdown's own), pulls question
and reflection blocks out of the text, marks where track blocks start and end, and checks
things that need line numbers: headings, image alt text, link text and link targets.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Collector
from .listindent import misaligned_list_lines
from .model import TRACKS

RE_START = re.compile(r"^ {0,3}(/{3,})[ ]*([\w-]+)[ ]*(?:\|[ ]*(.*?)[ ]*)?$")
RE_END = re.compile(r"^ {0,3}(/{3,})[ ]*$")
RE_INDENTED_OURS = re.compile(r"^(?: {4,}|\t)\s*/{3,}\s*(track|question|reflection|rubric)\b", re.I)
# Python-Markdown's fenced_code only recognises fences at the left margin
RE_FENCE = re.compile(r"^(`{3,}|~{3,})")

RE_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
# a link target may hold one level of balanced brackets, as Markdown allows
_TARGET = r"\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?"
RE_IMAGE = re.compile(r"!\[([^\]]*)\]" + _TARGET)
RE_LINK = re.compile(r"(?<![!\]\\])\[([^\]^][^\]]*)\]" + _TARGET)
RE_REF_LINK = re.compile(r"(?<![!\]\\])\[([^\]^][^\]]*)\]\[[^\]]*\]")
RE_REF_DEF = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:\s*<?([^\s>]+)>?")
RE_HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
RE_HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
RE_HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
RE_HTML_HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)

#: pymdown-extensions blocks that lessons may use besides track, question and reflection
GENERIC_BLOCKS = frozenset({
    "admonition", "details", "tab",
    "note", "attention", "caution", "danger", "error", "tip", "hint", "warning", "important",
})
OUR_BLOCKS = frozenset({"track", "question", "reflection", "rubric"})

# a "Sources" (or "References") heading opens a list of sources; any other heading closes it
RE_SOURCES_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?:sources|references)[ \t#]*$", re.I)
RE_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
RE_HAS_LINK = re.compile(r"\]\(|\]\[|<https?://|<a\b", re.I)

VAGUE_LINK_TEXT = frozenset({
    "click here", "click", "here", "this", "this link", "link", "read more", "more",
    "this page", "go", "go here", "see here", "click this link", "find out more",
})


@dataclass(slots=True)
class Marker:
    """A place in the body the renderer must find again after Markdown."""

    kind: str  # "open" | "close" (track blocks) or "reflection"
    index: int  # track block number, or reflection number
    tracks: frozenset[str] | None = None  # tracks that see what follows an "open"


@dataclass(slots=True)
class Item:
    """Consecutive lines of body text, or a marker, with the tracks that see them
    (None: all)."""

    text: str
    tracks: frozenset[str] | None
    marker: Marker | None = None


@dataclass(slots=True)
class RawBlock:
    """A question or reflection block as written, before it is parsed."""

    kind: str
    id: str
    line: int  # the '/// question | id' line
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    tracks: frozenset[str] | None = None  # from enclosing track blocks
    position: int = 0  # reflection: its number among the file's reflections


@dataclass(slots=True)
class Scanned:
    """What the scanner found in one body."""

    items: list[Item]
    questions: list[RawBlock]
    reflections: list[RawBlock]
    url_lines: dict[str, int]  # link or image target as written -> first line
    first_line: int
    rubrics: list[RawBlock] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    name: str
    fence: int
    line: int
    header: str
    tracks: frozenset[str] | None = None  # for track blocks: who sees the content
    raw: RawBlock | None = None  # question/reflection being captured
    marker_index: int = -1


class _Checks:
    """Line checks shared by the body and question text: headings, images, links."""

    def __init__(self, path: Path, collector: Collector) -> None:
        self.path = path
        self.collector = collector
        self.heading_level = 1  # the page title is the h1
        self.url_lines: dict[str, int] = {}

    def line(self, lineno: int, text: str) -> None:
        heading = RE_HEADING.match(text) if "#" in text[:4] else None
        if heading:
            level = len(heading.group(1))
            if level > self.heading_level + 1:
                self.collector.add(
                    self.path, lineno, "W003",
                    f"this heading jumps from level {self.heading_level} to level {level}; "
                    f"use {'#' * (self.heading_level + 1)} so screen-reader users can follow "
                    "the structure")
            self.heading_level = level
        if "[" in text:
            self._markdown_links(lineno, text)
        if "<" in text:
            self._html_links(lineno, text)

    def _remember(self, url: str, lineno: int) -> None:
        if url:
            self.url_lines.setdefault(url, lineno)
            # the sanitiser hands over addresses with entities decoded ('java&#x09;script:')
            if "&" in url:
                self.url_lines.setdefault(html.unescape(url), lineno)

    def _markdown_links(self, lineno: int, text: str) -> None:
        # each pattern needs its brackets side by side: most lines with a '[' have none
        if "](" not in text and "][" not in text and "]:" not in text:
            return
        for match in RE_IMAGE.finditer(text):
            self._remember(match.group(2), lineno)
            if not match.group(1).strip():
                self.collector.add(
                    self.path, lineno, "W002",
                    f"the image '{match.group(2)}' has no alt text; describe it between the "
                    "square brackets, as in ![Graph of adoption over time](...)")
        for regex in (RE_LINK, RE_REF_LINK):
            for match in regex.finditer(text):
                if regex is RE_LINK:
                    self._remember(match.group(2), lineno)
                label = re.sub(r"[^\w\s]", "", match.group(1)).strip().lower()
                if label in VAGUE_LINK_TEXT:
                    self.collector.add(
                        self.path, lineno, "W004",
                        f"the link text '{match.group(1)}' does not say where the link goes; "
                        "use words that describe the destination, such as "
                        "'NHS England's guide to PDSA cycles'")
        ref = RE_REF_DEF.match(text)
        if ref:
            self._remember(ref.group(2), lineno)

    def _html_links(self, lineno: int, text: str) -> None:
        for tag in RE_HTML_IMG.finditer(text):
            src = RE_HTML_SRC.search(tag.group(0))
            if src:
                self._remember(next(g for g in src.groups() if g is not None), lineno)
            alt = RE_HTML_ALT.search(tag.group(0))
            if not alt or not next(g for g in alt.groups() if g is not None).strip():
                self.collector.add(
                    self.path, lineno, "W002",
                    "this <img> has no alt text; add alt=\"...\" describing the image")
        for href in RE_HTML_HREF.finditer(text):
            self._remember(next(g for g in href.groups() if g is not None), lineno)


def parse_track_list(text: str) -> list[str]:
    """Split 'postgraduate ahp' or 'postgraduate, ahp' into names."""
    return [name for name in re.split(r"[\s,]+", text.strip()) if name]


def _closing_fence(lines: list[str], start: int, fence: str) -> int | None:
    for j in range(start + 1, len(lines)):
        if lines[j].rstrip() == fence:
            return j
    return None


def scan_body(lines: list[str], first_line: int, *, path: Path, collector: Collector,
              file_kind: str, tracks: tuple[str, ...]) -> Scanned:
    """Scan a body. ``first_line`` is the file line of ``lines[0]``; ``tracks`` are the
    file's own tracks (track blocks must stay inside them); ``file_kind`` is
    "course", "module" or "lesson" (only lessons may hold questions and reflections).
    Every problem goes to ``collector``."""
    _check_sources(lines, first_line, path, collector)
    _check_list_indents(lines, first_line, path, collector)
    return _Scanner(lines, first_line, path, collector, file_kind, tracks).run()


def _check_list_indents(lines: list[str], first_line: int, path: Path, collector: Collector) -> None:
    """Warn (W040) on a line indented one space past a list item's marker: it does not nest
    under the item, which is seldom what was meant."""
    for index, item in misaligned_list_lines(lines):
        collector.add(
            path, first_line + index, "W040",
            f"this line is indented one space past the list item on line {first_line + item}, "
            "so it is not part of that item; indent it by two spaces to put it inside the item "
            "(a sub-list or a second paragraph), or start it at the item's own indent")


def _check_sources(lines: list[str], first_line: int, path: Path, collector: Collector) -> None:
    """Warn (W006) on each entry of a "Sources" list that links to nothing, so readers
    can follow every source. An entry is a list item and its indented continuation lines."""
    lowered = "\n".join(lines).casefold()  # casefold, as re.I matches "ſ" to "s"
    if "sources" not in lowered and "references" not in lowered:
        return  # no "Sources" heading, so no entries to check
    in_sources = False
    fence: str | None = None
    entry: tuple[int, list[str]] | None = None

    def finish() -> None:
        nonlocal entry
        if entry is not None and not RE_HAS_LINK.search(" ".join(entry[1])):
            collector.add(
                path, entry[0], "W006",
                "this source has no link; link its title to where readers can find it, "
                "such as [*The run chart*](https://doi.org/10.1136/bmjqs.2009.037895)")
        entry = None

    for i, text in enumerate(lines):
        if fence is not None:
            if text.startswith(fence):
                fence = None
            continue
        opening = RE_FENCE.match(text)
        if opening:
            finish()
            fence = opening.group(1)
            continue
        if RE_HEADING.match(text):
            finish()
            in_sources = bool(RE_SOURCES_HEADING.match(text))
            continue
        if not in_sources:
            continue
        if RE_LIST_ITEM.match(text):
            finish()
            entry = (first_line + i, [text])
        elif entry is not None and text.strip() and text[:1] in (" ", "\t"):
            entry[1].append(text)
        else:
            finish()
    finish()


class _Scanner:
    def __init__(self, lines: list[str], first_line: int, path: Path, collector: Collector,
                 file_kind: str, tracks: tuple[str, ...]) -> None:
        self.lines = lines
        self.first_line = first_line
        self.path = path
        self.collector = collector
        self.file_kind = file_kind
        self.file_tracks = frozenset(tracks)
        self.checks = _Checks(path, collector)
        self.items: list[Item] = []
        self.questions: list[RawBlock] = []
        self.reflections: list[RawBlock] = []
        self.rubrics: list[RawBlock] = []
        self.stack: list[_Open] = []
        self.track_count = 0
        self._visible: frozenset[str] | None = None
        self._capture: RawBlock | None = None
        self._run: list[str] = []  # lines waiting to become one Item
        self._run_tracks: frozenset[str] | None = None

    def run(self) -> Scanned:
        lines = self.lines
        run = self._run
        i = 0
        while i < len(lines):
            text = lines[i]
            lineno = self.first_line + i
            first = text[:1]
            if first in ("`", "~"):
                fence = RE_FENCE.match(text)
                end = _closing_fence(lines, i, fence.group(1)) if fence else None
                if end is not None:
                    for j in range(i, end + 1):
                        self.emit(self.first_line + j, lines[j])
                    i = end + 1
                    continue
            i += 1
            if "///" in text:
                start = RE_START.match(text)
                if start:
                    self.open_block(start, text, lineno)
                    continue
                end_match = RE_END.match(text)
                if end_match:
                    self.close_block(len(end_match.group(1)), text, lineno)
                    continue
                if RE_INDENTED_OURS.match(text):
                    self.collector.add(
                        self.path, lineno, "E056",
                        f"'{text.strip()}' is indented, so it will not be recognised as a "
                        "block; start the line at the left margin")
            if "#" in text or "[" in text or "<" in text:
                self.checks.line(lineno, text)
            if self._capture is not None:
                self._capture.lines.append((lineno, text))
            else:
                if not run:
                    self._run_tracks = self._visible
                run.append(text)
        while self.stack:
            entry = self.pop()
            self.report_unclosed(entry)
            self.finish(entry)
        self.flush()
        return Scanned(self.items, self.questions, self.reflections, self.checks.url_lines,
                       self.first_line, self.rubrics)

    def push(self, entry: _Open) -> None:
        self.stack.append(entry)
        self.refresh()

    def pop(self) -> _Open:
        entry = self.stack.pop()
        self.refresh()
        return entry

    def refresh(self) -> None:
        """Remember who sees the current line and which block captures it."""
        self._visible = next((e.tracks for e in reversed(self.stack) if e.name == "track"), None)
        self._capture = next((e.raw for e in self.stack if e.raw is not None), None)

    def visible(self) -> frozenset[str] | None:
        return self._visible

    def capturing(self) -> RawBlock | None:
        return self._capture

    def emit(self, lineno: int, text: str) -> None:
        if self._capture is not None:
            self._capture.lines.append((lineno, text))
        else:
            if not self._run:
                self._run_tracks = self._visible
            self._run.append(text)

    def flush(self) -> None:
        """Turn the waiting lines into one Item."""
        if self._run:
            self.items.append(Item("\n".join(self._run), self._run_tracks))
            self._run.clear()

    def add_marker(self, tracks: frozenset[str] | None, marker: Marker) -> None:
        self.flush()
        self.items.append(Item("", tracks, marker))

    def finish(self, entry: _Open) -> None:
        """Keep a closed question (reflections were kept when they opened)."""
        if entry.raw is not None and entry.raw.kind == "question" and self.capturing() is None:
            self.questions.append(entry.raw)
        if entry.raw is not None and entry.raw.kind == "rubric" and self.capturing() is None:
            self.rubrics.append(entry.raw)
        if entry.raw is not None and self.capturing() is None:
            self.emit(entry.line, "")  # the block ends a paragraph, as pymdown's blocks do

    def close_block(self, fence: int, text: str, lineno: int) -> None:
        stack = self.stack
        if not any(entry.fence == fence for entry in stack):
            self.collector.add(
                self.path, lineno, "E054",
                f"this '{text.strip()}' line closes a block, but no block is open here; "
                "delete it, or check that the block above starts with the same number of "
                "slashes")
            self.emit(lineno, text)
            return
        while stack[-1].fence != fence:
            inner = self.pop()
            self.report_unclosed(inner)
            self.finish(inner)
        entry = self.pop()
        if entry.name == "track":
            self.add_marker(entry.tracks, Marker("close", entry.marker_index))
        elif entry.raw is not None:
            self.finish(entry)
        else:
            self.emit(lineno, text)

    def report_unclosed(self, entry: _Open) -> None:
        self.collector.add(
            self.path, entry.line, "E050",
            f"the block '{entry.header}' that starts here is never closed; add a line with "
            f"just '{'/' * entry.fence}' where it ends")

    def open_block(self, start: re.Match[str], text: str, lineno: int) -> None:
        fence = len(start.group(1))
        name = start.group(2).lower()
        argument = (start.group(3) or "").strip()
        header = text.strip()
        if self.capturing() is not None:
            if name in OUR_BLOCKS:
                self.collector.add(
                    self.path, lineno, "E052",
                    f"a '{name}' block cannot go inside a question or reflection; move it "
                    "after the closing '///'")
            elif name not in GENERIC_BLOCKS:
                self.unknown_block(name, lineno)
            self.push(_Open("generic", fence, lineno, header))
            self.emit(lineno, text)
            return
        if name == "track":
            self.open_track(argument, fence, lineno, header)
        elif name in ("question", "reflection", "rubric"):
            self.open_capture(name, argument, fence, lineno, header)
        else:
            if name not in GENERIC_BLOCKS:
                self.unknown_block(name, lineno)
            elif name == "tab" and not argument:
                self.collector.add(
                    self.path, lineno, "E053",
                    "a tab block needs a title, as in '/// tab | For physiotherapists'")
            self.push(_Open("generic", fence, lineno, header))
            self.emit(lineno, text)

    def open_track(self, argument: str, fence: int, lineno: int, header: str) -> None:
        enclosing = self.visible()
        allowed = enclosing if enclosing is not None else self.file_tracks
        names = parse_track_list(argument)
        if not names:
            self.collector.add(
                self.path, lineno, "E053",
                "this track block does not say which tracks see it; write for example "
                "'/// track | postgraduate ahp'")
        chosen: set[str] = set()
        for track in names:
            if track not in TRACKS:
                self.collector.add(self.path, lineno, "E010",
                                   f"unknown track '{track}' (known: {', '.join(TRACKS)})")
            elif track not in allowed:
                shown = ", ".join(t for t in TRACKS if t in allowed) or "none"
                self.collector.add(
                    self.path, lineno, "E011",
                    f"track '{track}' is not one of the tracks this part is for ({shown}); "
                    "remove it here, or add it to the tracks in the front matter")
            else:
                chosen.add(track)
        tracks = frozenset(chosen)
        self.push(_Open("track", fence, lineno, header, tracks, marker_index=self.track_count))
        self.add_marker(tracks, Marker("open", self.track_count, tracks))
        self.track_count += 1

    def open_capture(self, name: str, argument: str, fence: int, lineno: int,
                     header: str) -> None:
        if self.file_kind != "lesson":
            self.collector.add(
                self.path, lineno, "E052",
                f"{name} blocks belong in lesson files, not in {self.file_kind}.md; move it "
                "into a lesson")
        if not argument and name != "rubric":  # a lesson has one rubric, so it needs no id
            self.collector.add(
                self.path, lineno, "E053",
                f"this {name} block has no id; write '/// {name} | an-id' (lowercase "
                "letters, digits and hyphens)")
        raw = RawBlock(name, argument, lineno, tracks=self.visible())
        self.push(_Open(name, fence, lineno, header, raw=raw))
        if self.file_kind != "lesson":
            raw.kind = "dropped"
        elif name == "reflection":
            raw.position = len(self.reflections)
            self.add_marker(self.visible(), Marker("reflection", raw.position))
            self.reflections.append(raw)

    def unknown_block(self, name: str, lineno: int) -> None:
        known = ", ".join(sorted(OUR_BLOCKS | GENERIC_BLOCKS))
        self.collector.add(self.path, lineno, "E051",
                           f"unknown block '/// {name}'; the blocks you can use are: {known}")
