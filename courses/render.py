"""The one Markdown renderer and HTML sanitiser.

A file is rendered once, whatever its number of tracks: the scanner leaves sentinel
paragraphs where track blocks start and end, Markdown renders everything together, the
sanitiser cleans it, and each track's HTML is cut out afterwards. Question stems and choices
ride along in the same Markdown run, after the lesson body; feedback, hints and explanations
go through a second run of their own, so nothing that reveals an answer can ever share a
Markdown document (abbreviations, footnotes, a table of contents) with the lesson text.

If a sentinel does not come out as its own paragraph (say, raw HTML swallowed it), the file
falls back to one Markdown run per track and per piece, which is slower but always right.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import mimetypes
import os
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import nh3

from .findings import Collector
from .listindent import ListIndentExtension
from .mdguard import (
    BlocksReentryExtension,
    MarkdownFailed,
    MarkdownTooComplex,
    StepBudgetExtension,
)
from .mdsubset import MarkdownPool
from .model import Asset, TrackMap
from .scanner import Item, Marker

# a random part makes the sentinels impossible to type by accident
_NONCE = secrets.token_hex(4)
# a sentinel is either a paragraph of its own or the start of the paragraph that follows it
_RE_P_TOKEN = re.compile(rf"<p>zq{_NONCE}([a-z])(\d+)qz(</p>\n?| )")
_RE_ANY_TOKEN = re.compile(rf"zq{_NONCE}([a-z])(\d+)qz")
_KIND_LETTER = {"open": "o", "close": "c", "reflection": "r"}


def _token(kind: str, number: int) -> str:
    return f"zq{_NONCE}{kind}{number}qz"


_FOOTNOTES_HERE = _token("n", 0)
# a line that can only start a plain paragraph, so a sentinel may sit in front of it
_RE_PARAGRAPH_START = re.compile(r"^(?:[^\W\d_]|\d+(?![.)\d]))")
_RE_NOT_AFTER = re.compile(r"^ {0,3}(?:=+|-+)\s*$|^ {0,3}:")


def _starts_paragraph(line: str, following: str | None) -> bool:
    """True when ``line`` starts a paragraph whatever is put in front of it."""
    if not _RE_PARAGRAPH_START.match(line) or "|" in line:
        return False
    return following is None or not (_RE_NOT_AFTER.match(following) or "|" in following)


# one line of plain prose: Markdown would only wrap it in <p>, so the renderer does that itself
_RE_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.;:?!'\"()%/\u2018\u2019\u201c\u201d\u2013\u2014-]*\Z")


def _plain_html(piece: str) -> str | None:
    """The HTML of a piece that is a single line of plain prose; None for anything else."""
    if _RE_PLAIN.match(piece) and not piece.endswith(" "):
        return f"<p>{piece}</p>"
    return None


def _with_token(token: str, piece: str) -> str:
    lines = piece.split("\n", 2)
    if _starts_paragraph(lines[0], lines[1] if len(lines) > 1 else None):
        return f"{token} {piece}"
    return f"{token}\n\n{piece}"

EXTENSIONS = [
    # superfences, not fenced_code: it finds fences inside list items and quotes too
    "tables", "pymdownx.highlight", "pymdownx.superfences", "footnotes", "attr_list", "def_list",
    "abbr", "admonition", "toc",
    "pymdownx.details", "pymdownx.tabbed",
    "pymdownx.blocks.admonition", "pymdownx.blocks.details", "pymdownx.blocks.tab",
    ListIndentExtension(),  # sub-lists indented by 2-4 spaces (see listindent.py)
    BlocksReentryExtension(),  # "- ///details" before another opening looped (see mdguard.py)
    StepBudgetExtension(),  # last, so it counts every block processor
]
EXTENSION_CONFIGS = {
    "pymdownx.highlight": {"use_pygments": False},  # plain <pre><code class="language-x">
    "tables": {"use_align_attribute": True},  # 'align', because style attributes are removed
    "footnotes": {"PLACE_MARKER": _FOOTNOTES_HERE},
    "pymdownx.tabbed": {"alternate_style": True},
    "pymdownx.blocks.tab": {"alternate_style": True},
}

ADMONITION_TYPES = {
    "note", "attention", "caution", "danger", "error", "tip", "hint", "warning", "important",
    "info", "example", "quote", "success", "failure", "question", "abstract", "bug", "summary",
    "todo", "seealso",
}
CODE_LANGUAGES = {
    "python", "r", "sql", "json", "yaml", "text", "bash", "shell", "html", "css", "javascript",
    "csv", "xml", "markdown", "stata", "spss",
}
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "input", "ins", "kbd", "label", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
# removed together with everything inside them
CLEAN_CONTENT_TAGS = {
    "script", "style", "svg", "math", "iframe", "object", "embed", "template", "noscript",
    "textarea", "select", "title", "xmp", "noembed", "noframes", "frameset", "frame", "applet",
    "form", "button", "audio", "video", "canvas", "link", "meta", "base",
}
ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "li": {"value"},
    "details": {"open"},
    "input": {"id", "name", "checked"},  # only the radio buttons of tabbed content
    "label": {"for"},
    "col": {"span"},
    "colgroup": {"span"},
}
ALLOWED_CLASSES = {
    "div": ADMONITION_TYPES | {"admonition", "footnote", "tabbed-set", "tabbed-alternate",
                               "tabbed-labels", "tabbed-content", "tabbed-block", "toc"},
    "details": ADMONITION_TYPES,
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "code": {f"language-{name}" for name in CODE_LANGUAGES},
}
# schemes let through to the attribute filter so it can name them in an error;
# the filter itself lets only http, https, mailto and tel out
_URL_SCHEMES = {"http", "https", "mailto", "tel", "javascript", "data", "vbscript", "file",
                "ftp"}
_RE_URL_JUNK = re.compile(r"[\t\n\r]")
_RE_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_RE_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_RE_A_TAG = re.compile(r"<a\b([^>]*)>")
_RE_EXTERNAL_HREF = re.compile(r'\shref="(?:https?:|//)', re.I)
_MEDIA_TYPES = {".svg": "image/svg+xml", ".webp": "image/webp", ".png": "image/png",
                ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".pdf": "application/pdf", ".csv": "text/csv"}
TOO_COMPLEX = (
    "this file could not be rendered: Markdown went round in circles on it (a known kind of "
    "fault in the Markdown library, not in your text as such); look for a '///' block, list or "
    "definition that starts on the same line as another one, put blank lines around blocks, "
    "and tell the LMS team which text did it")
MARKDOWN_FAILED = (
    "this file could not be rendered: the Markdown library failed on it (a fault in the "
    "library, not in your text as such); look for a '///' block inside a quote or a list, or "
    "a block closed twice, put blank lines around blocks, and tell the LMS team which text "
    "did it")
_RE_SVG_ACTIVE = re.compile(rb"<script|<foreignobject|javascript:|\bon[a-z]+\s*=", re.I)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a relative link or image in a file resolves to: its published address (None:
    dropped), the problem to report about it, and the asset it shows."""

    url: str | None
    problem: tuple[str, str] | None = None  # (code, message)
    asset: Asset | None = None


@dataclass(slots=True)
class LinkContext:
    """Where a file sits, so its relative links and images can be checked and rewritten."""

    path: Path  # the source file, absolute
    course_dir: Path  # absolute
    slug: str
    asset_url: str  # formatted with slug, path and sha256
    lesson_url: str  # formatted with slug, module and lesson
    lesson_files: Mapping[str, tuple[str, str]]  # normalised path -> (module id, lesson id)
    assets: dict[str, Asset]  # shared by the whole course
    url_lines: Mapping[str, int]
    default_line: int
    collector: Collector
    reported: set[tuple[str, int, str]] = field(default_factory=set)
    used_assets: set[str] = field(default_factory=set)  # asset paths this file shows
    #: every (tag, url, attribute value, resolution), in order: all the file's HTML depends
    #: on besides its own text, so a cached copy is still right if each resolves the same
    trace: list[tuple[str, str, str, Resolution]] = field(default_factory=list)
    source: Any = None  # the CourseSource the course is read from

    def report(self, code: str, url: str, message: str) -> None:
        line = self.url_lines.get(url, self.default_line)
        key = (code, line, url)
        if key not in self.reported:
            self.reported.add(key)
            self.collector.add(self.path, line, code, message)

    def resolve(self, tag: str, url: str, original: str) -> str | None:
        """Check and rewrite one relative link or image, reporting any problem."""
        resolution = resolve_link(self, tag, url, original)
        self.trace.append((tag, url, original, resolution))
        if resolution.problem is not None:
            self.report(resolution.problem[0], original, resolution.problem[1])
        if resolution.asset is not None:
            self.used_assets.add(resolution.asset.path)
        return resolution.url


@dataclass(slots=True)
class RenderedFile:
    """A file's HTML: the body per track, then the public and private pieces in order."""

    html: TrackMap[str]
    public: list[str]
    private: list[str]


def reflection_slot(reflection_id: str) -> str:
    """The empty element left in lesson HTML where a reflection prompt was written."""
    return f'<div class="lms-reflection" data-reflection-id="{html_lib.escape(reflection_id)}"></div>'


def _add_rel(html: str) -> str:
    if "<a " not in html:
        return html

    def add(match: re.Match[str]) -> str:
        if _RE_EXTERNAL_HREF.search(match.group(1)):
            return f'<a{match.group(1)} rel="noopener noreferrer">'
        return match.group(0)

    return _RE_A_TAG.sub(add, html)


_RE_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_RE_HEADER_CELL = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
_RE_TAGS = re.compile(r"<[^>]+>")


def wrap_tables(html: str) -> str:
    """Put each table in its own keyboard-scrollable, labelled region, so a wide table scrolls
    inside the lesson instead of widening the page at 320 px (WCAG 1.4.10).

    The label names the table by its column headings: "Table: Stage, Question, Example".
    """
    if "<table" not in html:
        return html

    def wrap(match: re.Match[str]) -> str:
        headings = [" ".join(html_lib.unescape(_RE_TAGS.sub("", cell)).split())
                    for cell in _RE_HEADER_CELL.findall(match.group(0))]
        headings = [h for h in headings if h]
        label = "Table: " + ", ".join(headings) if headings else "Table"
        if len(label) > 120:
            label = label[:117].rstrip(" ,") + "..."
        return (f'<div class="app-table-scroll" role="region" tabindex="0" '
                f'aria-label="{html_lib.escape(label)}">{match.group(0)}</div>')

    return _RE_TABLE.sub(wrap, html)


class Renderer:
    """Markdown instances and one sanitiser, reused for every file (thread-safe)."""

    def __init__(self) -> None:
        self._markdown = MarkdownPool(EXTENSIONS, EXTENSION_CONFIGS)
        self._cleaner = nh3.Cleaner(
            tags=TAGS, clean_content_tags=CLEAN_CONTENT_TAGS, attributes=ATTRIBUTES,
            attribute_filter=self._filter_attribute, strip_comments=True, link_rel=None,
            set_tag_attribute_values={"input": {"type": "radio"}},
            url_schemes=_URL_SCHEMES, allowed_classes=ALLOWED_CLASSES)
        self._lock = threading.Lock()
        self._ctx: LinkContext | None = None

    # -- public --------------------------------------------------------------------------

    def render_markdown(self, text: str, ctx: LinkContext | None = None) -> str:
        """Render and sanitise one piece of Markdown; raises ``MarkdownFailed`` when Markdown
        cannot render it (``MarkdownTooComplex`` when it runs out of steps, see mdguard.py)."""
        with self._lock:
            self._ctx = ctx
            try:
                return self._convert(text)
            finally:
                self._ctx = None

    def render_file(self, items: Sequence[Item], tracks: tuple[str, ...],
                    reflection_ids: Sequence[str], public: Sequence[str],
                    private: Sequence[str], ctx: LinkContext | None) -> RenderedFile:
        """Render a scanned body for each of ``tracks``, plus the question pieces.

        ``public`` pieces (stems, choices, reflection prompts) and ``private`` pieces
        (feedback, hints, explanations) come back rendered, in the same order. When Markdown
        cannot render them (it runs out of steps, see mdguard.py, or raises), everything comes
        back empty and the error is reported at the start of the body (it raises
        ``MarkdownFailed`` only without ``ctx``)."""
        with self._lock:
            self._ctx = ctx
            try:
                html, public_html = self._render_public(items, tracks, reflection_ids, public)
                private_html = self._render_pieces(private)
                return RenderedFile(html, public_html, private_html)
            except MarkdownFailed as error:
                if ctx is None:
                    raise
                code, message = (("E070", TOO_COMPLEX) if isinstance(error, MarkdownTooComplex)
                                 else ("E071", MARKDOWN_FAILED))
                ctx.collector.add(ctx.path, ctx.default_line, code, message)
                return RenderedFile(TrackMap((track, "") for track in tracks),
                                    [""] * len(public), [""] * len(private))
            finally:
                self._ctx = None

    # -- rendering -----------------------------------------------------------------------

    def _convert(self, text: str) -> str:
        try:
            html = self._markdown.convert(text)
        except MarkdownTooComplex:
            raise
        except Exception as error:
            # pymdownx.blocks, for one, raises IndexError on some '///' blocks in quotes
            raise MarkdownFailed(f"{type(error).__name__}: {error}") from error
        return wrap_tables(_add_rel(self._cleaner.clean(html)))

    def _render_public(self, items: Sequence[Item], tracks: tuple[str, ...],
                       reflection_ids: Sequence[str],
                       public: Sequence[str]) -> tuple[TrackMap[str], list[str]]:
        markers = [item.marker for item in items if item.marker is not None]
        body = _body_text(items, None)
        has_tracks = any(m.kind == "open" for m in markers)
        # footnotes, abbreviations and [TOC] gather from the whole document, so they
        # cannot be cut by track
        whole = has_tracks and ("[^" in body or "[TOC]" in body or "*[" in body)
        if whole or any("[^" in piece for piece in public):
            return (self._body_per_track(items, tracks, reflection_ids),
                    self._render_pieces(public))
        plain = _plain_pieces(public, "*[" in body)
        rest = [piece for piece, html in zip(public, plain, strict=True) if html is None]
        document = [body, ""]
        if "[^" in body:
            document += [_FOOTNOTES_HERE, ""]
        document += [_with_token(_token("f", index), piece) + "\n" for index, piece
                     in enumerate(rest)]
        clean = self._convert("\n".join(document))
        found = _find_tokens(clean, markers, len(rest))
        if found is None:
            return (self._body_per_track(items, tracks, reflection_ids),
                    self._render_pieces(public))
        body_matches, piece_matches = found
        end = piece_matches[0].start() if piece_matches else len(clean)
        html = _cut_tracks(clean, body_matches, end, markers, tracks, reflection_ids)
        return html, _merge(plain, _cut_pieces(clean, piece_matches))

    def _render_pieces(self, pieces: Sequence[str]) -> list[str]:
        if not pieces:
            return []
        plain = _plain_pieces(pieces, False)
        rest = [piece for piece, html in zip(pieces, plain, strict=True) if html is None]
        if not rest:
            return [html or "" for html in plain]
        if not any("[^" in piece for piece in rest):
            document = [_with_token(_token("f", index), piece) + "\n"
                        for index, piece in enumerate(rest)]
            clean = self._convert("\n".join(document))
            found = _find_tokens(clean, [], len(rest))
            if found is not None:
                return _merge(plain, _cut_pieces(clean, found[1]))
        return [self._convert(piece).strip() if piece.strip() else "" for piece in pieces]

    def _body_per_track(self, items: Sequence[Item], tracks: tuple[str, ...],
                        reflection_ids: Sequence[str]) -> TrackMap[str]:
        rendered: dict[str, str] = {}
        result: list[tuple[str, str]] = []
        for track in tracks:
            text = _body_text(items, track)
            if text not in rendered:
                html = self._convert(text)
                html = _RE_P_TOKEN.sub(
                    lambda m: (reflection_slot(reflection_ids[int(m.group(2))])
                               if m.group(1) == "r" else "")
                    + ("<p>" if m.group(3) == " " else ""), html)
                rendered[text] = _prune_footnotes(_RE_ANY_TOKEN.sub("", html).strip())
            result.append((track, rendered[text]))
        return TrackMap(result)

    # -- links and images ----------------------------------------------------------------

    def _filter_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute not in ("href", "src"):
            return value
        ctx = self._ctx
        url = _RE_URL_EDGES.sub("", _RE_URL_JUNK.sub("", value))
        if url.startswith("#"):
            return url if tag == "a" else None
        scheme = _RE_SCHEME.match(url)
        if scheme:
            name = scheme.group(1).lower()
            if name in ("http", "https") or (tag == "a" and name in ("mailto", "tel")):
                return url
            if ctx is not None:
                ctx.report("E062", value,
                           f"'{_short(value)}' uses '{name}:', which is not allowed; link to "
                           "web pages with https:// or to files in the course folder")
            return None
        if url.startswith("//"):
            return url
        if ctx is None:
            # browsers read a leading backslash as '/', so '\\host' would leave the site
            return None if "\\" in url else url
        return ctx.resolve(tag, url, value)


_RE_FOOTNOTE_ITEM = re.compile(r'(?=<li id="fn:)')
_RE_FOOTNOTE_ID = re.compile(r'<li id="fn:([^"]*)"')


def _prune_footnotes(html: str) -> str:
    """Drop footnotes this track's text never refers to (their definitions are shared)."""
    start = html.rfind('<div class="footnote">')
    if start < 0 or not html.endswith("</ol>\n</div>"):
        return html
    head, *items = _RE_FOOTNOTE_ITEM.split(html[start:-len("</ol>\n</div>")])
    kept = [item for item in items
            if f'href="#fn:{_RE_FOOTNOTE_ID.match(item).group(1)}"' in html[:start]]
    if not kept:
        return html[:start].rstrip()
    return html[:start] + head + "".join(kept) + "</ol>\n</div>"


def _short(url: str) -> str:
    return url if len(url) <= 60 else url[:57] + "..."


def resolve_link(ctx: LinkContext, tag: str, url: str, original: str) -> Resolution:
    """Check a relative link or image and find its published address.

    Depends only on where the file sits, the course's lesson files and the files on disk;
    reports nothing itself (``LinkContext.resolve`` does). Assets are remembered in
    ``ctx.assets`` so each file is read and hashed once per course."""
    before_fragment, has_fragment, fragment = url.partition("#")
    path_part = before_fragment.split("?", 1)[0]
    if not path_part:
        return Resolution(url)
    what = "image" if tag == "img" else "link"
    decoded = unquote(path_part)
    if decoded.startswith(("/", "\\")) or "\\" in decoded or "\x00" in decoded:
        return Resolution(None, (
            "E061", f"the {what} '{_short(original)}' is not a relative path inside the course "
            "folder; write it relative to this file, with '/' between folders, such as "
            "'images/chart.png'"))
    target = os.path.normpath(os.path.join(os.path.dirname(ctx.path), decoded))
    relative = os.path.relpath(target, ctx.course_dir)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return Resolution(None, (
            "E061", f"the {what} '{_short(original)}' points outside the course folder; copy "
            "the file into the course folder and link to it there"))
    relative = relative.replace(os.sep, "/")
    found = ctx.source.kind(relative)
    if found != "file":
        kind = "a folder" if found == "dir" else "a file that does not exist"
        return Resolution(None, (
            "E060", f"the {what} '{_short(original)}' points to {kind}; check the spelling and "
            "the folder (paths are relative to this file and case-sensitive)"))
    if ctx.source.escapes(relative, through_folders=True):
        return Resolution(None, (
            "E061", f"the {what} '{_short(original)}' is a link to a file outside the course "
            "folder; copy the file into the course folder instead"))
    suffix = "#" + fragment if has_fragment and tag == "a" else ""
    if relative.endswith(".md"):
        lesson = ctx.lesson_files.get(os.path.normcase(target))
        if lesson is None:
            return Resolution(None, (
                "E063", f"the link '{_short(original)}' points to a Markdown file that is not "
                "a lesson; link to a lesson file, or to a web page"))
        return Resolution(
            ctx.lesson_url.format(slug=ctx.slug, module=lesson[0], lesson=lesson[1]) + suffix)
    asset = ctx.assets.get(relative)
    if asset is None:
        data = ctx.source.read(relative)
        extension = os.path.splitext(relative)[1].lower()
        media_type = _MEDIA_TYPES.get(extension) or mimetypes.guess_type(relative)[0] \
            or "application/octet-stream"
        if media_type == "image/svg+xml" and _RE_SVG_ACTIVE.search(data):
            return Resolution(None, (
                "E064", f"the SVG image '{_short(original)}' contains scripts or event "
                "handlers; export it again as a plain picture (or as PNG)"))
        asset = Asset(relative, media_type, hashlib.sha256(data).hexdigest(), Path(target))
        ctx.assets[relative] = asset
    return Resolution(
        ctx.asset_url.format(slug=ctx.slug, path=quote(relative), sha256=asset.sha256) + suffix,
        None, asset)


# -- sentinels -----------------------------------------------------------------------------

def _body_text(items: Sequence[Item], track: str | None) -> str:
    """The body as Markdown with sentinels: all of it (``track`` None), or one track's part.

    Both keep a sentinel where each block fence was, so a track's text has the same block
    structure whether it is cut from the whole or rendered alone. A sentinel goes in front
    of the next line when that line starts a plain paragraph (a paragraph of its own costs
    Markdown as much as a short paragraph of text)."""
    parts: list[str] = []
    replaced: dict[int, str] = {}
    count = len(items)

    def shown(item: Item) -> bool:
        return track is None or item.tracks is None or track in item.tracks

    for index, item in enumerate(items):
        marker = item.marker
        if marker is None:
            if shown(item):
                parts.append(replaced.pop(index, item.text))
            continue
        if marker.kind == "reflection" and not shown(item):
            parts.append("")
            continue
        token = _token(_KIND_LETTER[marker.kind], marker.index)
        target = index + 1
        while target < count and items[target].marker is None and (
                not shown(items[target]) or not items[target].text.strip()):
            target += 1
        if target < count and items[target].marker is None and target not in replaced:
            lines = items[target].text.split("\n")
            first = next(i for i, line in enumerate(lines) if line.strip())
            following: str | None = None
            if first + 1 < len(lines):
                following = lines[first + 1]
            elif target + 1 < count and items[target + 1].marker is None \
                    and shown(items[target + 1]):
                following = items[target + 1].text.split("\n", 1)[0]
            if _starts_paragraph(lines[first], following):
                lines[first] = f"{token} {lines[first]}"
                replaced[target] = "\n".join(lines)
                parts.append("")
                continue
        parts.append(f"\n{token}\n")
    return "\n".join(parts)


def _find_tokens(clean: str, markers: Sequence[Marker], pieces: int):
    """Find every sentinel as a paragraph of its own, in the expected order; else None."""
    matches = list(_RE_P_TOKEN.finditer(clean))
    if len(matches) != len(_RE_ANY_TOKEN.findall(clean)):
        return None
    expected = [(_KIND_LETTER[m.kind], m.index) for m in markers]
    expected += [("f", index) for index in range(pieces)]
    found = [(m.group(1), int(m.group(2))) for m in matches if m.group(1) != "n"]
    if found != expected:
        return None
    body = [m for m in matches if m.group(1) != "f"]
    return body, [m for m in matches if m.group(1) == "f"]


def _plain_pieces(pieces: Sequence[str], abbreviations: bool) -> list[str | None]:
    """Each piece's HTML when it is plain prose, else None. Abbreviations defined anywhere
    in the document change plain words too, so then nothing is plain."""
    if abbreviations or any("*[" in piece for piece in pieces):
        return [None] * len(pieces)
    return [_plain_html(piece) if piece.strip() else "" for piece in pieces]


def _merge(plain: list[str | None], rendered: list[str]) -> list[str]:
    """Put the rendered pieces back between the plain ones, in order."""
    queue = iter(rendered)
    return [html if html is not None else next(queue) for html in plain]


def _opening(match: re.Match[str]) -> str:
    """What a sentinel leaves behind: the <p> of the paragraph it was put in front of."""
    return "<p>" if match.group(3) == " " else ""


def _cut_pieces(clean: str, matches: list[re.Match[str]]) -> list[str]:
    if not matches:
        return []
    ends = [m.start() for m in matches[1:]] + [len(clean)]
    return [(_opening(m) + clean[m.end():end]).strip()
            for m, end in zip(matches, ends, strict=True)]


def _cut_tracks(clean: str, matches: list[re.Match[str]], end: int, markers: Sequence[Marker],
                tracks: tuple[str, ...], reflection_ids: Sequence[str]) -> TrackMap[str]:
    if not markers:
        html = clean[:end]
        if matches:  # only the unused footnotes sentinel
            html = _RE_P_TOKEN.sub(_opening, html)
        html = html.strip()
        return TrackMap((track, html) for track in tracks)
    opened = {m.index: m.tracks for m in markers if m.kind == "open"}
    pieces: dict[str, list[str]] = {track: [] for track in tracks}
    stack: list[frozenset[str] | None] = []
    position = 0

    def add(text: str) -> None:
        visible = stack[-1] if stack else None
        for track in tracks:
            if visible is None or track in visible:
                pieces[track].append(text)

    for match in matches:
        add(clean[position:match.start()])
        kind, number = match.group(1), int(match.group(2))
        if kind == "o":
            stack.append(opened.get(number))
        elif kind == "c" and stack:
            stack.pop()
        elif kind == "r":
            add(reflection_slot(reflection_ids[number]) + "\n")
        add(_opening(match))
        position = match.end()
    add(clean[position:end])
    shared: dict[str, str] = {}
    return TrackMap((track, shared.setdefault(text, text)) for track in tracks
                    for text in ["".join(pieces[track]).strip()])


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    """The process-wide renderer (Markdown set-up is costly, so it is made once)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = Renderer()
        return _renderer


def render_markdown(text: str) -> str:
    """Render and sanitise a piece of Markdown with the course rules (no relative links
    are resolved: there is no file to resolve them against)."""
    return get_renderer().render_markdown(text)
