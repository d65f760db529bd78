"""Lists as educators write them: sub-lists and paragraphs indented by 2, 3 or 4 spaces.

Python-Markdown nests only what is indented by four spaces, so a sub-list indented by two
under ``- Plan`` (as GitHub, word processors and most editors write it) came out as one flat
list, and a fenced code block inside a list item or a quote came out as a paragraph.
``reindent_lists`` rewrites the source before Markdown reads it: every line that belongs to
a list item (indented at least as far as the item's text, or two spaces past its marker) is
moved to Python-Markdown's four spaces per level, keeping any extra indentation (so code
indented within an item stays code). Fenced code blocks move with their item and are
otherwise left alone. Fences inside quotes are pymdownx.superfences' work (see render.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

# a list marker at the start of a line: "-", "*", "+", "1." or "1)", then spaces or the end
_RE_MARKER = re.compile(r"( *)([-*+]|\d{1,9}[.)])( +|$)")
_RE_FENCE = re.compile(r" *(`{3,}|~{3,})")
_RE_QUOTE = re.compile(r" {0,3}> ?")
_RE_RULE = re.compile(r" {0,3}([-*_])(?: *\1){2,} *$")  # "- - -" is a line across, not a list
# any line that starts a list item: files without one are passed through untouched
_RE_ANY_MARKER = re.compile(r"^(?: {0,3}> ?)* *(?:[-*+]|\d{1,9}[.)])(?: |$)", re.M)
_LEVEL = 4  # Python-Markdown's indent per level


@dataclass(slots=True)
class _Item:
    marker: int  # column of the marker in the source
    content: int  # column of the item's text in the source

    @property
    def nests_from(self) -> int:
        """The least indentation that still belongs to this item (its text's column, or two
        spaces past its marker when the text sits further right, as after '10.')."""
        return min(self.content, self.marker + 2)


def _interrupts_paragraph(marker: re.Match[str]) -> bool:
    """A list that starts straight under a line of text: a bullet with text, or "1." (CommonMark's rule,
    so "in 2024. Then" wrapped onto a new line stays a paragraph)."""
    return bool(marker.group(3)) and (marker.group(2) in "-*+" or marker.group(2)[:-1] == "1")


def reindent_lists(lines: list[str], misaligned: list[tuple[int, int]] | None = None) -> list[str]:
    """``lines`` (tabs already expanded) with list items re-indented to four spaces a level.

    ``misaligned``, if given, receives (index of the line, index of its item's line) for each
    line indented one space past an item's marker: too little to belong to the item, so it
    starts a new item or paragraph beside it, which is seldom what the author meant."""
    item_lines: list[int] = []  # the index of each open item's line
    out: list[str] = []
    stack: list[_Item] = []
    fence: str | None = None  # the closing fence while inside a fenced block
    shift = 0  # how far the fenced block's lines move
    in_paragraph = False  # the line before continues a paragraph
    skip = 0
    for index, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        if fence is not None:
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            out.append(" " * max(0, indent + shift) + stripped if stripped else line)
            if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                fence = None
            continue
        stripped = line.lstrip(" ")
        if not stripped:
            out.append(line)
            in_paragraph = False
            continue
        indent = len(line) - len(stripped)
        quote = _RE_QUOTE.match(line) if not stack else None
        if quote:  # a quote's lines, without their '>', are a document of their own
            run = [line]
            while index + len(run) < len(lines) and _RE_QUOTE.match(lines[index + len(run)]):
                run.append(lines[index + len(run)])
            prefixes = [_RE_QUOTE.match(text).group(0) for text in run]
            found: list[tuple[int, int]] = []
            inner = reindent_lists([text[len(prefix):] for text, prefix in zip(run, prefixes, strict=True)],
                                   found if misaligned is not None else None)
            if misaligned is not None:
                misaligned.extend((index + at, index + item) for at, item in found)
            out.extend("> " + text if text.strip() else ">" for text in inner)
            skip, in_paragraph = len(run) - 1, True
            continue
        opening = _RE_FENCE.match(line)
        if in_paragraph and not opening and not _RE_MARKER.match(line):
            out.append(line)  # a paragraph's next line: Markdown joins it however it is indented
            continue
        # text outside any list just above: a list starting here interrupts it
        follows_text, in_paragraph = in_paragraph and not stack, not opening
        if misaligned is not None and stack and stack[-1].marker < indent < stack[-1].nests_from:
            misaligned.append((index, item_lines[-1]))
        while stack and indent < stack[-1].nests_from:
            stack.pop()
            item_lines.pop()
        marker = _RE_MARKER.match(line)
        if marker and _RE_RULE.match(line):
            stack.clear()
            item_lines.clear()
            out.append(line)
            continue
        # four spaces past where a marker could be is indented code, not a list item
        if marker and indent < (stack[-1].content if stack else 0) + _LEVEL:
            if follows_text and _interrupts_paragraph(marker):
                out.append("")  # as GitHub reads it: Python-Markdown wants a blank line first
            spaces = len(marker.group(3))
            width = len(marker.group(2)) + (spaces if 1 <= spaces <= _LEVEL else 1)
            out.append(" " * (_LEVEL * len(stack)) + marker.group(2) + " " + line[marker.end():])
            stack.append(_Item(indent, indent + width))
            item_lines.append(index)
            continue
        # inside an item: its level's four spaces, plus whatever sits further right than its text
        column = _LEVEL * len(stack) + max(0, indent - stack[-1].content) if stack else indent
        if opening:
            fence, shift = opening.group(1), column - indent
        out.append(" " * column + stripped)
    return out


class _ListIndent(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if not _RE_ANY_MARKER.search(text):
            return lines
        return reindent_lists(lines)


class ListIndentExtension(Extension):
    """Registers ``reindent_lists`` to run on every document, after tabs are expanded."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Python-Markdown's name
        md.preprocessors.register(_ListIndent(md), "list_indent", 29)


# (searched for after a newline, which regular expressions find far faster than '^' does)
# a line one space in (one past a marker at the margin), or a quote's line (quotes are read
# on their own, so they always need the full pass)
_RE_FULL_PASS = re.compile(r"\n(?: [^ \n]| {0,3}>)")
# an indented list item's line, its marker's column in group 1
_RE_NESTED_ITEM = re.compile(r"\n( +)(?:[-*+]|\d{1,9}[.)])(?: |\n|$)")


def _could_misalign(text: str) -> bool:
    """False when no line of ``text`` can be one space past a list item's marker, so
    ``reindent_lists`` would find nothing (a misaligned line sits exactly one column to the
    right of an item's marker)."""
    text = "\n" + text
    if _RE_FULL_PASS.search(text):
        return bool(_RE_ANY_MARKER.search(text))
    columns = {len(match.group(1)) for match in _RE_NESTED_ITEM.finditer(text)}
    return any(f"\n{' ' * (column + 1)}" in text and re.search(
        rf"\n {{{column + 1}}}[^ \n]", text) for column in columns)


def misaligned_list_lines(lines: list[str]) -> list[tuple[int, int]]:
    """(index of the line, index of its item's line) for each line of ``lines`` indented one
    space past a list item's marker (see ``reindent_lists``)."""
    text = "\n".join(lines)
    if "\t" in text:
        lines = [line.expandtabs(_LEVEL) for line in lines]
        text = "\n".join(lines)
    if not _could_misalign(text):
        return []
    found: list[tuple[int, int]] = []
    reindent_lists(lines, found)
    return found
