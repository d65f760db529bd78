"""The fast path: the learner's fields drawn straight into the PDF over the course's prepared layer.

The full path (render.py) lays out the learner layer with WeasyPrint (CSS cascade, boxes, lines)
and writes the PDF with WeasyPrint: about two thirds of a certificate's time. Yet the learner layer
is a handful of lines at fixed places. Here each line is shaped and broken by Pango exactly as
WeasyPrint's own layout does (`split_first_line` and `draw_text`, with the computed styles of a
reference layout), placed where WeasyPrint placed the reference learner's lines, and the page is
written with pydyf, keeping each font subset (per glyph set) and the course's drawing between
certificates.

`drawn_directly` is the one rule for who takes this path: every character of the learner's fields
is in the pinned faces (Latin, Greek, Cyrillic), left-to-right and not a combining mark, so a line
is one run of one font with no fallback, bidi or complex shaping; and every line lands where the
reference's does (one name line, the same line metrics). Everyone else takes the full path. Tests
compare the pages of both paths pixel for pixel, and `Template.of` checks itself against WeasyPrint
when it is made: if it cannot place the reference learner's lines exactly where WeasyPrint did, the
fast path is off.

Like layers.py, this module leans on WeasyPrint internals (text layout, drawing, font objects);
WeasyPrint is pinned in pyproject.toml and the tests catch a change.
"""

from __future__ import annotations

import copy
import io
import logging
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from math import ceil
from types import SimpleNamespace

import pydyf
from weasyprint import __version__ as WEASYPRINT_VERSION
from weasyprint.draw.text import draw_text
from weasyprint.formatting_structure import boxes
from weasyprint.pdf.stream import Stream
from weasyprint.text.line_break import split_first_line

from . import qr as qr_codes

LOGGER = logging.getLogger(__name__)

#: Bidi classes a left-to-right line of one run may hold (letters, digits, separators, neutrals).
_LTR_CLASSES = frozenset({"L", "EN", "ES", "ET", "CS", "WS", "ON"})
#: The learner-layer elements (their class) drawn here, in drawing order.
FIELDS = ("learner", "registration", "code", "facts-values", "facts-link")
#: PDF points per CSS pixel.
_SCALE = 0.75
#: Position checks are exact to this many CSS pixels.
_TOLERANCE = 0.01


def drawn_directly(texts: tuple[str, ...], covered: frozenset[int]) -> bool:
    """Whether the learner's texts may take the fast path: the one rule (see the module docstring).

    `covered` holds the code points both pinned faces have a glyph for.
    """
    for text in texts:
        if text != " ".join(text.split()):
            return False  # the layout would collapse or keep these spaces
        for character in text:
            if ord(character) not in covered or unicodedata.bidirectional(character) not in _LTR_CLASSES:
                return False
            if unicodedata.category(character)[0] in "MC":  # marks need positioning; controls print nothing
                return False
    return True


@cache
def covered_codepoints(paths: tuple[str, ...]) -> frozenset[int]:
    """Code points every font file in `paths` maps to a glyph."""
    from fontTools.ttLib import TTFont

    sets = []
    for path in paths:
        with TTFont(path, lazy=True) as font:
            sets.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*sets) if sets else frozenset()


# --- Where the lines go: read from WeasyPrint's layout of a reference learner -------------------


@dataclass(frozen=True)
class _Field:
    style: object  # WeasyPrint's computed style of the text
    left: float  # CSS px, the block's content box
    width: float
    centred: bool
    first_baseline: float  # CSS px from the page's top, after any transform
    line_height: float
    last_baseline: float  # of a line that still ends inside its block (the facts clip what runs past)
    text_height: float  # Pango's height and baseline of a line: the same for every line of one font
    text_baseline: float
    link_rise: float = 0.0  # from a link's top to the baseline, and its height (CSS px)
    link_height: float = 0.0


@dataclass(frozen=True)
class Template:
    """Where WeasyPrint puts each learner line and the QR code, for learners shaped like the reference."""

    fields: dict[str, _Field]
    qr_box: tuple[float, float, float, float]  # x, y, width, height in CSS px

    @classmethod
    def of(cls, page, lines: dict[str, list[str]]) -> Template | None:
        """Read the template from `page`, the reference learner layer that printed `lines`.

        None if the page is not shaped as expected, or if laying out `lines` here does not put
        each of them exactly where WeasyPrint did (then every learner takes the full path).
        """
        try:
            template, placed = cls._read(page)
            if template is None:
                return None
            mine = {name: [line[:2] for line in template.place(name, "\n".join(texts))] for name, texts
                    in lines.items() if any(texts)}
            theirs = {name: [(x, y) for x, y, _ in placed.get(name, [])] for name in mine}
        except (AttributeError, KeyError, TypeError, ValueError) as error:  # pragma: no cover - another WeasyPrint
            LOGGER.warning("certificate fast path off: %s", error)
            return None
        for name in mine:
            if len(mine[name]) != len(theirs[name]) or any(
                    abs(a - b) > _TOLERANCE for one, two in zip(mine[name], theirs[name], strict=True)
                    for a, b in zip(one, two, strict=True)):
                LOGGER.warning("certificate fast path off: %s placed at %s, WeasyPrint at %s", name, mine[name],
                               theirs[name])
                return None
        return template

    @classmethod
    def _read(cls, page):
        fields, placed, link_box, qr_box = {}, {}, {}, None
        stack = [(page._page_box, None, 0.0)]
        while stack:
            box, block, offset = stack.pop()
            box = getattr(box, "_box", box)  # an absolutely positioned box stands behind a placeholder
            classes = box.element.get("class", "").split() if getattr(box, "element", None) is not None else []
            if "centred" in classes and not isinstance(box, boxes.TextBox):
                # translateY(-50%): WeasyPrint applies the transform when drawing, not in the layout.
                offset = -box.border_height() / 2
            if box.element_tag == "img" and "qr" in classes and isinstance(box, boxes.ReplacedBox):
                qr_box = (box.content_box_x(), box.content_box_y(), box.width, box.height)
            if isinstance(box, boxes.BlockBox) and any(name in classes for name in FIELDS):
                block = next(name for name in FIELDS if name in classes)
            if isinstance(box, boxes.LineBox) and block:
                texts = [child for child in _descendants(box) if isinstance(child, boxes.TextBox)]
                if len(texts) > 1:
                    return None, {}
                links = [child for child in _descendants(box) if getattr(child, "element_tag", None) == "a"]
                for text in texts:
                    parent = _block_of(page._page_box, box)
                    name = "facts-link" if links else block  # the verification link is set in its own style
                    fields.setdefault(name, (text, box, parent, offset))
                    if links:
                        link_box.setdefault(name, links[0])
                    placed.setdefault(name, []).append(
                        (text.position_x, text.position_y + text.baseline + offset, text.text))
            for child in reversed(getattr(box, "children", [])):
                stack.append((child, block, offset))
        if qr_box is None or not set(FIELDS) - {"registration"} <= set(fields):
            return None, {}
        made = {}
        for name, (text, line, parent, offset) in fields.items():
            link = link_box.get(name)
            *_, text_height, text_baseline = split_first_line(text.text, text.style, _CONTEXT, parent.width, 0)
            made[name] = _Field(
                link_rise=text.position_y + text.baseline - link.position_y if link else 0.0,
                link_height=link.height if link else 0.0,
                style=text.style, left=parent.content_box_x(), width=parent.width,
                centred=parent.style["text_align_all"] == "center",
                first_baseline=text.position_y + text.baseline + offset, line_height=line.height,
                last_baseline=(parent.content_box_y() + parent.height + offset - line.height
                               + text.position_y + text.baseline - line.position_y),
                text_height=text_height, text_baseline=text_baseline)
        return cls(made, qr_box), placed

    def place(self, name: str, text: str) -> list[tuple[float, float, object, str, float]] | None:
        """Lines of `text` in field `name` as WeasyPrint lays them out: ``[(x, baseline y, layout, text, width)]``.

        "\\n" starts a new line (a ``<br>``); an empty line takes its height and draws nothing.
        None if a line's metrics differ from the reference's (another font took part).
        """
        field = self.fields[name]
        placed = []
        line_number = 0
        for paragraph in text.split("\n"):
            remaining = paragraph
            while True:
                if not remaining:
                    line_number += 1
                    break
                layout, length, resume, width, height, baseline = split_first_line(
                    remaining, field.style, _CONTEXT, field.width, 0)
                if abs(height - field.text_height) > _TOLERANCE or abs(baseline - field.text_baseline) > _TOLERANCE:
                    return None
                piece = remaining.encode()[:length].decode()
                x = field.left + (field.width - width) / 2 if field.centred else field.left
                baseline = field.first_baseline + line_number * field.line_height
                if baseline > field.last_baseline + _TOLERANCE:
                    return None
                placed.append((x, baseline, layout, piece, width))
                line_number += 1
                if resume is None:
                    break
                remaining = remaining.encode()[resume:].decode()
        return placed


# split_first_line asks its context only for hyphenation dictionaries; certificates do not hyphenate.
_CONTEXT = SimpleNamespace(dictionaries={})


def _descendants(box):
    for child in getattr(box, "children", []):
        yield child
        yield from _descendants(child)


def _block_of(root, line):
    """The block box whose child is `line`."""
    for box in _descendants(root):
        if line in getattr(box, "children", []):
            return box
    raise ValueError("line box without a parent")


# --- Drawing and writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    field: str
    x: float
    baseline: float
    width: float
    layout: object
    text: str


def lay_out(template: Template, fields: dict[str, str]) -> list[Line] | None:
    """Every line of the learner's fields, or None where one would not land as in the reference."""
    if not fields.get("learner"):
        return None  # the name's line holds the name block's height
    lines = []
    for name in FIELDS:
        text = fields.get(name)
        if not text:
            continue
        if name not in template.fields:
            return None
        placed = template.place(name, text)
        # One line per paragraph, as in the reference: more would move the lines below (the link may wrap).
        if placed is None or (name != "facts-link" and len(placed) != sum(1 for part in text.split("\n") if part)):
            return None
        for x, baseline, layout, piece, width in placed:
            lines.append(Line(name, x, baseline, width, layout, piece))
    return lines


class Writer:
    """Writes certificate PDFs with pydyf; keeps font subsets between them (per font and glyph set)."""

    def __init__(self, size: int = 256) -> None:
        self._subsets: dict[tuple, tuple[bytes, int]] = {}
        self._size = size

    def pdf(self, page_size: tuple[float, float], course, lines: list[Line], template: Template, qr_url: str,
            link_url: str | None, info: dict[str, str], lang: str, identifier: bytes, family: str) -> bytes | None:
        """One page: `course` (a layers.Recording) then the learner's `lines` and QR code.

        None if a line was drawn in a font other than `family` (the pinned one), or with a missing glyph.
        """
        width, height = page_size
        resources = {"ExtGState": {}, "XObject": {}, "Pattern": {}, "Shading": {}, "ColorSpace": None}
        fonts, images = {}, {}
        stream = Stream(fonts, (0, 0, width, height), resources, images, None, {}, None, compress=True)
        stream.transform(d=-1, f=height * _SCALE)
        course.replay(stream, _SCALE)
        course_fonts = set(fonts)
        with stream.stacked():
            stream.transform(a=_SCALE, d=_SCALE)
            for line in lines:
                draw_text(stream, _text_box(template.fields[line.field].style, line), 0, "clip", "none")
            if any(fonts[key].family != family for key in set(fonts) - course_fonts) or any(
                    font.missing for font in fonts.values()):
                return None  # Pango fell back to another font after all: the full path draws this one
            x, y, side, _ = template.qr_box
            with stream.stacked():
                stream.transform(a=side, d=-side, e=x, f=y + side)
                stream.draw_x_object("qr")
        return self._write(stream, fonts, images, resources, qr_url, lines, template.fields, link_url, info, lang,
                           identifier, (width * _SCALE, height * _SCALE))

    def _write(self, stream, fonts, images, resources, qr_url, lines, fields, link_url, info, lang, identifier,
               size):
        pdf = pydyf.PDF()
        pdf.add_object(stream)
        x_objects = pydyf.Dictionary()
        for name, image in images.items():  # the course's (the signature)
            x_object = image["image"].get_x_object(image["interpolate"], max(image["dpi_ratios"]))
            pdf.add_object(x_object)
            x_objects[name] = x_object.reference
        qr = _qr_x_object(qr_url)
        pdf.add_object(qr)
        x_objects["qr"] = qr.reference
        page_resources = pydyf.Dictionary({
            "ExtGState": pydyf.Dictionary(resources["ExtGState"]),
            "XObject": x_objects,
            "Font": self._fonts(pdf, fonts),
        })
        pdf.add_object(page_resources)
        width, height = size
        page = pydyf.Dictionary({
            "Type": "/Page", "Parent": pdf.pages.reference,
            "MediaBox": pydyf.Array([0, 0, width, height]),
            "Contents": stream.reference, "Resources": page_resources.reference,
            "TrimBox": pydyf.Array([0, 0, width, height]), "BleedBox": pydyf.Array([0, 0, width, height]),
        })
        if link_url:
            annotations = pydyf.Array()
            for line in lines:
                if line.field == "facts-link":
                    annotations.append(_link(pdf, line, fields["facts-link"], link_url, height))
            page["Annots"] = annotations
        pdf.add_page(page)
        pdf.info["Producer"] = pydyf.String(f"WeasyPrint {WEASYPRINT_VERSION}")
        pdf.info["Title"] = pydyf.String(info["title"])
        pdf.info["Author"] = pydyf.String(info["author"])
        pdf.info["Subject"] = pydyf.String(info["description"])
        pdf.info["Creator"] = pydyf.String(info["generator"])
        pdf.info["CreationDate"] = pydyf.String(_pdf_date(info["created"]))
        pdf.info["ModDate"] = pydyf.String(_pdf_date(info["modified"]))
        pdf.catalog["Lang"] = pydyf.String(lang)
        output = io.BytesIO()
        pdf.write(output, b"1.7", identifier, True)
        return output.getvalue()

    def _fonts(self, pdf, fonts) -> pydyf.Dictionary:
        """Embed each font used, subset, as WeasyPrint does (Type 0, Identity-H, glyph ids kept)."""
        dictionary = pydyf.Dictionary()
        for font in fonts.values():
            data, length = self._subset(font)
            file = pydyf.Stream([data], pydyf.Dictionary({"Filter": "/FlateDecode", "Length1": length}))
            pdf.add_object(file)
            to_unicode = pydyf.Stream([zlib.compress(_to_unicode_cmap(font.to_unicode))],
                                      pydyf.Dictionary({"Filter": "/FlateDecode"}))
            pdf.add_object(to_unicode)
            widths = font.widths
            bbox = (0, font.descent, max(widths.values(), default=0), font.ascent)
            descriptor = pydyf.Dictionary({
                "Type": "/FontDescriptor", "FontName": font.name, "FontFamily": pydyf.String(font.family),
                "Flags": font.flags, "FontBBox": pydyf.Array(bbox), "ItalicAngle": font.italic_angle,
                "Ascent": font.ascent, "Descent": font.descent, "CapHeight": bbox[3], "StemV": font.stemv,
                "StemH": font.stemh, "FontFile2": file.reference,
            })
            pdf.add_object(descriptor)
            cid_font = pydyf.Dictionary({
                "Type": "/Font", "Subtype": "/CIDFontType2", "BaseFont": font.name,
                "CIDSystemInfo": pydyf.Dictionary({
                    "Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0}),
                "CIDToGIDMap": "/Identity", "W": _widths_array(widths), "FontDescriptor": descriptor.reference,
            })
            pdf.add_object(cid_font)
            type0 = pydyf.Dictionary({
                "Type": "/Font", "Subtype": "/Type0", "BaseFont": font.name, "Encoding": "/Identity-H",
                "DescendantFonts": pydyf.Array([cid_font.reference]), "ToUnicode": to_unicode.reference,
            })
            pdf.add_object(type0)
            dictionary[font.hash] = type0.reference
        return dictionary

    def _subset(self, font) -> tuple[bytes, int]:
        """The font file subset to the glyphs used and to printable ASCII, compressed; and its length.

        With ASCII always in, the learners of a course share one subset unless their name has other
        letters (codes, dates and URLs vary from one learner to the next, but only within ASCII).
        """
        glyphs = frozenset(font.to_unicode) | _ascii_glyphs(font)
        key = (font.hash, font.index, len(font.file_content), glyphs)
        if (found := self._subsets.get(key)) is None:
            clone = copy.copy(font)  # clean() replaces file_content; the original stays whole
            clone.clean(dict.fromkeys(sorted(glyphs), ""), False)
            found = (zlib.compress(clone.file_content), len(clone.file_content))
            if len(self._subsets) >= self._size:
                self._subsets.pop(next(iter(self._subsets)))
            self._subsets[key] = found
        return found


_ASCII_GLYPHS: dict[tuple, frozenset[int]] = {}


def _ascii_glyphs(font) -> frozenset[int]:
    """Glyph ids of the printable ASCII characters in the font's file (read once per font)."""
    key = (font.hash, font.index, len(font.file_content))
    if (found := _ASCII_GLYPHS.get(key)) is None:
        from fontTools.ttLib import TTFont

        with TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True) as file:
            cmap = file.getBestCmap() or {}
            found = frozenset(file.getGlyphID(cmap[code]) for code in range(0x20, 0x7F) if code in cmap)
        _ASCII_GLYPHS[key] = found
    return found


def _number(value: float) -> str:
    """A PDF number: no exponent, no trailing zeros (as pydyf writes one)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:f}".rstrip("0").rstrip(".")


def _widths_array(widths: dict[int, float]) -> bytes:
    """The CIDFont's W array: runs of consecutive glyph ids with their widths (in 1/1000 em)."""
    parts = []
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            parts.append(f"] {glyph} [" if parts else f"{glyph} [")
        parts.append(f"{_number(widths[glyph])} ")
    return ("[" + "".join(parts) + "]]").encode() if parts else b"[]"


def _text_box(style, line: Line):
    box = boxes.TextBox("p", style, None, line.text)
    box.pango_layout, box.position_x, box.width = line.layout, line.x, line.width
    box.position_y, box.baseline = 0, line.baseline
    box.justification_spacing = 0
    return box


def _qr_x_object(url: str) -> pydyf.Stream:
    """The QR code as a greyscale image, one pixel per module, never smoothed (as qr.qr_png)."""
    pixels, side = qr_codes.qr_pixels(url)
    return pydyf.Stream([zlib.compress(pixels)], pydyf.Dictionary({
        "Type": "/XObject", "Subtype": "/Image", "Width": side, "Height": side, "ColorSpace": "/DeviceGray",
        "BitsPerComponent": 8, "Interpolate": "false", "Filter": "/FlateDecode"}))


def _link(pdf, line: Line, field: _Field, url: str, page_height: float):
    # The rectangle of the link's inline box on this line, as WeasyPrint gives it.
    left, right = line.x * _SCALE, (line.x + line.width) * _SCALE
    top = page_height - (line.baseline - field.link_rise) * _SCALE
    bottom = top - field.link_height * _SCALE
    annotation = pydyf.Dictionary({
        "Type": "/Annot", "Subtype": "/Link",
        "Rect": pydyf.Array([left, bottom, right, top]),
        "BS": pydyf.Dictionary({"W": 0}),
        "A": pydyf.Dictionary({"Type": "/Action", "S": "/URI", "URI": pydyf.String(url)}),
    })
    pdf.add_object(annotation)
    return annotation.reference


def _to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = tuple(to_unicode.items())
    for i in range(ceil(len(items) / 100)):
        batch = items[i * 100:(i + 1) * 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for glyph, text in batch:
            lines.append(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _pdf_date(iso_day: str) -> str:
    return "D:" + iso_day.replace("-", "")
