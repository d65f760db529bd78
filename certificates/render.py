"""Render a certificate to PDF with WeasyPrint: quickly, and always to the same bytes.

Speed comes from doing once what does not change:

* once per process (`prepare`): the jinja2 template, the parsed stylesheet and the
  FontConfiguration with the pinned fonts loaded (see fonts.py);
* once per course (an LRU of `COURSE_CACHE_SIZE`): the layout *and the drawing* of all
  that learners of a course share: programme, partner, course, outcomes, signatory and
  every label (the "course" layer; see layers.py);
* per certificate, the fast path (direct.py, for names in Latin, Greek and Cyrillic): the
  learner's lines shaped by Pango and drawn where WeasyPrint's layout of a reference learner
  put them, over the recorded course layer, written by pydyf with font subsets kept per
  glyph set; the page is pixel for pixel the full path's;
* per certificate, the full path (every other learner, e.g. a name in Arabic, Devanagari or
  Chinese): the layout of the learner's name, registration, dates, code, URL and QR code
  only (the "learner" layer), then one PDF with both layers on one page.

Every box has a fixed place on the page (see certificate.css), so the layers cannot
disturb each other, and the page is the one the "full" template gives in one go.

The output is a function of the `CertificateData` alone (whichever path, whatever was
cached before): no clock, no randomness, no host paths. The PDF's dates come from
``issued_on``, its identifier from the code. It does depend on the versions of WeasyPrint,
Pango, HarfBuzz and the fonts: after an upgrade a certificate may re-render to different
bytes that print the same facts.

WeasyPrint's font objects are not thread-safe, so renders in one process take turns.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path

import jinja2
import weasyprint
from jinja2.sandbox import SandboxedEnvironment
from PIL import Image
from weasyprint.document import Document, Page
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from . import direct, fonts
from .data import CertificateData
from .fetcher import CertificateFetcher, RefusedURLError
from .layers import LayeredPage, Recording
from .qr import qr_png

#: How many course layers a process keeps (each about half a megabyte).
COURSE_CACHE_SIZE = 64
#: Written into the PDF's Creator field.
GENERATOR = "NWL innovation LMS certificates"

_QR_URL = "certificate-data:qr.png"
_SIGNATURE_URL = "certificate-data:signature"
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
# Denser settings, tried in order until the text fits its slot (see certificate.css).
_COURSE_DENSITIES = ("d0", "d1", "d2", "d3")
_NAME_DENSITIES = ("n0", "n1", "n2", "n3")
# The learner's own fields, blanked so that a course layer cannot depend on them.
_NO_LEARNER = {
    "learner_name": "",
    "registration": None,
    "code": "",
    "verify_url": "",
    "completed_on": datetime.date.min,
    "issued_on": datetime.date.min,
    "valid_until": None,
}


class UnprintableTextError(ValueError):
    """Text holds characters no installed font can draw; printing would show boxes."""

    def __init__(self, characters: str) -> None:
        self.characters = characters
        listed = ", ".join(f"U+{ord(c):04X}" for c in characters)
        super().__init__(f"no installed font can print {listed}")


def render_pdf(data: CertificateData) -> bytes:
    """Return the certificate as a one-page A4 landscape PDF.

    The same `data` always gives the same bytes (with the same fonts and libraries).
    Raises `RefusedURLError` if rendering tried to load anything outside the allow-list,
    `UnprintableTextError` if some text cannot be printed with the installed fonts, and
    `ValueError` if the signature image is not a PNG or JPEG.

    Fonts installed while the process runs are found without a restart: text no font could
    print is tried once more after fontconfig is reloaded, if the font folders changed.
    """
    try:
        return _render_pdf(data)
    except UnprintableTextError:
        if not _forget_if_fonts_changed():
            raise
        return _render_pdf(data)


def _render_pdf(data: CertificateData) -> bytes:
    signature = _signature_resource(data.signature_image)
    with _LOCK:
        state = _prepared()
        course = _course_layer(state, data, signature)
        if (pdf := _render_directly(state, course, data)) is not None:
            return pdf
        learner = _learner_layer(state, data)
        document = learner.document.copy([LayeredPage(course.drawing, learner.page)])
        info = _metadata(data)
        metadata = document.metadata
        metadata.title, metadata.authors = info["title"], [info["author"]]
        metadata.description, metadata.generator = info["description"], info["generator"]
        metadata.created = metadata.modified = info["created"]
        pdf = document.write_pdf(pdf_identifier=_identifier(data))
        _check_glyphs(document)
    return pdf


def _identifier(data: CertificateData) -> bytes:
    return hashlib.sha256(data.code.encode()).hexdigest()[:32].encode()


def _render_directly(state: _State, course: _Layer, data: CertificateData) -> bytes | None:
    """The fast path (see direct.py), or None when this learner takes the full path."""
    if not isinstance(course.drawing, Recording) or not state.faces or _name_start(data) != 0:
        return None
    lines = _learner_lines(data)
    fields = {name: lines[name] for name in direct.FIELDS}
    covered = direct.covered_codepoints(tuple(str(face.path) for face in state.faces))
    if not direct.drawn_directly(tuple(line for text in fields.values() for line in text.split("\n")), covered):
        return None
    key = bool(data.registration)
    if key not in state.templates:
        state.templates[key] = _template(state, data)
    template = state.templates[key]
    placed = template and direct.lay_out(template, fields)
    if not placed:
        return None
    page = course.page
    return state.writer.pdf(
        (page.width, page.height), course.drawing, placed, template, data.verify_url,
        _link_url(data), _metadata(data), "en-GB", _identifier(data), fonts.PINNED_FAMILY)


def _template(state: _State, data: CertificateData) -> direct.Template | None:
    # A fixed reference learner, so that where lines go never depends on who came first.
    reference = replace(
        data, learner_name="Reference Learner", registration="NMC 00A0000A" if data.registration else None,
        code="0000-0000-0000-00", verify_url="https://example.org/verify/0000-0000-0000-00",
        completed_on=datetime.date(2000, 1, 1), issued_on=datetime.date(2000, 1, 2), valid_until=None)
    layer = _learner_layer(state, reference)
    lines = _learner_lines(reference)
    return direct.Template.of(layer.page, {name: lines[name].split("\n") for name in direct.FIELDS})


def render_html(data: CertificateData) -> str:
    """Return the certificate as one standalone HTML document.

    It is the page `render_pdf` draws, for previews and as the benchmark's baseline:
    styles inline, fonts as ``file:`` URLs and images as ``data:`` URLs, so that a plain
    ``weasyprint.HTML(string=html).write_pdf()`` renders it.
    """
    signature = _signature_resource(data.signature_image)
    with _LOCK:
        state = _prepared()
        course = _course_layer(state, data, signature)
        learner = _learner_layer(state, data)
    css = fonts.font_face_css(state.faces, file_urls=True) + "\n" + state.css_text
    return _html(
        data,
        "full",
        course_density=course.density,
        name_density=learner.density,
        metadata=_metadata(data),
        # Our own stylesheet; "</" cannot end the <style> element early.
        inline_css=css.replace("</", "<\\/"),
        qr_url=_data_url("image/png", qr_png(data.verify_url)),
        signature_url=signature and _data_url(signature[1], signature[0]),
    )


def prepare() -> None:
    """Do the per-process preparation now rather than in the first render.

    Safe to call more than once. Call it in each worker after forking (for instance in
    gunicorn's ``post_worker_init``), not before: fonts are loaded per process.
    """
    with _LOCK:
        _prepared()


# --- Preparation, once per process -------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    document: Document
    page: Page
    density: str
    #: The page drawn once (course layers only), or the page itself to draw each time.
    drawing: Page | Recording


@dataclass
class _State:
    pid: int
    faces: tuple[fonts.PinnedFace, ...]
    css_text: str
    font_config: FontConfiguration
    stylesheet: weasyprint.CSS
    font_resources: dict[str, tuple[bytes | Path, str]]
    #: The font folders' state when the fonts were loaded (see `fonts.fonts_fingerprint`).
    fonts_fingerprint: tuple[float, ...] = ()
    #: Course layers by the certificate with the learner's fields blanked; an LRU.
    courses: OrderedDict[CertificateData, _Layer] = field(default_factory=OrderedDict)
    #: Where the fast path puts the learner's lines, with and without a registration (None: off).
    templates: dict[bool, direct.Template | None] = field(default_factory=dict)
    writer: direct.Writer = field(default_factory=direct.Writer)


_LOCK = threading.Lock()
_STATE: _State | None = None
# Font configurations inherited from a parent process: kept, so that they are never
# collected in the child, whose clean-up would delete the parent's font files.
_INHERITED: list[FontConfiguration] = []


def _prepared() -> _State:
    global _STATE
    if _STATE is not None and not _STATE.faces and _STATE.pid == os.getpid():
        _forget_if_fonts_changed(locked=True)  # the pinned fonts were missing: perhaps installed since
    if _STATE is None or _STATE.pid != os.getpid():
        fingerprint = fonts.fonts_fingerprint()
        faces = fonts.pinned_faces()
        css_text = (
            f"html {{ font-family: {fonts.font_family_css(faces)}; }}\n"
            + resources.files(__package__).joinpath("templates/certificate.css").read_text()
        )
        font_resources = {face.url: (face.path, "font/ttf") for face in faces}
        font_config = FontConfiguration()
        stylesheet = weasyprint.CSS(
            string=fonts.font_face_css(faces) + "\n" + css_text,
            font_config=font_config,
            url_fetcher=CertificateFetcher(font_resources),
        )
        _STATE = _State(os.getpid(), faces, css_text, font_config, stylesheet, font_resources, fingerprint)
    return _STATE


def _forget_if_fonts_changed(locked: bool = False) -> bool:
    """Drop this process's fonts if fonts were installed or removed since they were loaded."""
    global _STATE
    if not locked:
        with _LOCK:
            return _forget_if_fonts_changed(locked=True)
    if _STATE is None or _STATE.pid != os.getpid() or _STATE.fonts_fingerprint == fonts.fonts_fingerprint():
        return False
    fonts.pinned_faces.cache_clear()
    _STATE = None  # the next render loads fontconfig afresh
    return True


def _forget_parent_state() -> None:
    global _LOCK, _STATE
    _LOCK = threading.Lock()  # in case another thread of the parent held it
    if _STATE is not None:
        # A FontConfiguration deletes its font folder when collected; this one is the
        # parent's, so the child's copy must forget it.
        _STATE.font_config._folder = None
        _INHERITED.append(_STATE.font_config)
        _STATE = None


os.register_at_fork(after_in_child=_forget_parent_state)


# --- Templates ---------------------------------------------------------------------------


def _direction(text: str | None) -> str:
    """Return "rtl" if the first strongly directional character is right-to-left."""
    for character in text or "":
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


# Sandboxed and autoescaped: every field is text, never markup, whatever it holds.
_ENVIRONMENT = SandboxedEnvironment(
    loader=jinja2.PackageLoader(__package__, "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_ENVIRONMENT.filters["direction"] = _direction
_TEMPLATE = _ENVIRONMENT.get_template("certificate.html")


def _html(data: CertificateData, layer: str, **context: object) -> str:
    return _TEMPLATE.render(
        data=data,
        layer=layer,
        cpd_hours=_hours(data.cpd_hours),
        completed_on=_long_date(data.completed_on),
        lines=_learner_lines(data),
        two_columns=len(data.outcomes) > 4 or sum(map(len, data.outcomes)) > 360,
        link_url=_link_url(data),
        **context,
    )


def _metadata(data: CertificateData) -> dict[str, str]:
    """The PDF's document information; standalone HTML carries it as <title> and <meta>."""
    issued = data.issued_on.isoformat()
    return {
        "title": f"Certificate of completion: {data.course_title}",
        "author": data.programme_name,
        "description": (
            f"{data.learner_name} completed {data.course_title} ({data.track}). "
            f"Certificate {data.code}; check it at {data.verify_url}"
        ),
        "generator": GENERATOR,
        "created": issued,
        "modified": issued,
    }


def _link_url(data: CertificateData) -> str | None:
    """The verification URL is a link only when it is https."""
    return data.verify_url if data.verify_url.startswith("https://") else None


def _learner_lines(data: CertificateData) -> dict[str, str]:
    """The learner layer's text by the class of its element, as printed (a line break for a ``<br>``)."""
    issued = _long_date(data.issued_on)
    link = _link_url(data)
    if data.valid_until:
        issued += f", valid until {_long_date(data.valid_until)}"
    return {
        "learner": data.learner_name,
        "registration": f"Professional registration: {data.registration}" if data.registration else "",
        "code": data.code,
        "issued": issued,
        # A link is set in a style of its own.
        "facts-values": f"{_long_date(data.completed_on)}\n{issued}" + ("" if link else f"\n\n{data.verify_url}"),
        "facts-link": data.verify_url if link else "",
    }


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _hours(hours: Decimal | float | int) -> str:
    text = format(Decimal(str(hours)).normalize(), "f")
    return f"{text} hour" if text == "1" else f"{text} hours"


# --- Layers ------------------------------------------------------------------------------


def _course_layer(
    state: _State, data: CertificateData, signature: tuple[bytes, str] | None
) -> _Layer:
    course_data = replace(data, **_NO_LEARNER)
    if (layer := state.courses.get(course_data)) is not None:
        state.courses.move_to_end(course_data)
        return layer
    fetcher_resources = dict(state.font_resources)
    if signature is not None:
        fetcher_resources[_SIGNATURE_URL] = signature
    # A first guess at the density, so most courses are laid out only once.
    text = sum(map(len, data.outcomes)) + 2 * len(data.course_title) + 40 * len(data.outcomes)
    start = 0 if text < 700 else 1 if text < 1100 else 2
    layer = _fit(
        state,
        "course",
        _COURSE_DENSITIES[start:],
        fetcher_resources,
        lambda density: _html(
            course_data,
            "course",
            course_density=density,
            name_density="n0",
            signature_url=_SIGNATURE_URL if signature else None,
        ),
    )
    layer = replace(layer, drawing=Recording.of(layer.page) or layer.page)
    state.courses[course_data] = layer
    if len(state.courses) > COURSE_CACHE_SIZE:
        state.courses.popitem(last=False)
    return layer


def _name_start(data: CertificateData) -> int:
    """A first guess at the name's density; full-width (CJK) characters count double."""
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in data.learner_name)
    return 0 if width <= 30 else 1 if width <= 38 else 2


def _learner_layer(state: _State, data: CertificateData) -> _Layer:
    return _fit(
        state,
        "name",
        _NAME_DENSITIES[_name_start(data):],
        {**state.font_resources, _QR_URL: (qr_png(data.verify_url), "image/png")},
        lambda density: _html(
            data, "learner", course_density="d0", name_density=density, qr_url=_QR_URL
        ),
    )


def _fit(
    state: _State,
    slot: str,
    densities: Sequence[str],
    fetcher_resources: Mapping[str, tuple[bytes | Path, str]],
    html_for: Callable[[str], str],
) -> _Layer:
    """Lay out with each density in turn until the text fits in `slot`."""
    for density in densities:
        fetcher = CertificateFetcher(fetcher_resources)
        try:
            document = weasyprint.HTML(string=html_for(density), url_fetcher=fetcher).render(
                stylesheets=[state.stylesheet], font_config=state.font_config
            )
        except FatalURLFetchingError as error:
            raise RefusedURLError(str(error.__cause__ or error)) from error
        if fetcher.refused:
            raise RefusedURLError(f"certificates may not load {fetcher.refused[0][:200]!r}")
        if _fits(document.pages[0], slot):
            break
    # The densest setting clips its slot, so it is used whether or not it fits.
    page = document.pages[0]
    return _Layer(document, page, density, page)


def _fits(page: Page, slot: str) -> bool:
    """Whether the end marker of `slot` lies within the slot's box.

    WeasyPrint reports the box of each element with an id as an anchor
    ``(left, top, right, bottom)``, in CSS pixels.
    """
    box, end = page.anchors.get(f"{slot}-slot"), page.anchors.get(f"{slot}-end")
    return box is not None and end is not None and end[3] <= box[3] + 0.01


# --- Checks ------------------------------------------------------------------------------


def _signature_resource(image: bytes | None) -> tuple[bytes, str] | None:
    """Return ``(bytes, media type)`` for a PNG or JPEG signature; refuse anything else."""
    if image is None:
        return None
    try:
        with Image.open(io.BytesIO(image)) as picture:
            kind = picture.format
            picture.verify()
    except Exception as error:
        raise ValueError("signature_image is not a readable PNG or JPEG image") from error
    if kind not in ("PNG", "JPEG"):
        raise ValueError(f"signature_image must be PNG or JPEG, not {kind}")
    return image, f"image/{kind.lower()}"


def _check_glyphs(document: Document) -> None:
    # For a character no font has, WeasyPrint draws a box (.notdef) and notes it here.
    missing = {
        codepoint for font in document.fonts.values() for codepoint in getattr(font, "missing", {})
    }
    if missing:
        raise UnprintableTextError("".join(map(chr, sorted(missing))))


def _data_url(media_type: str, body: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(body).decode()}"
