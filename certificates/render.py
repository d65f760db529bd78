"""Render a certificate to PDF with WeasyPrint: quickly, and always to the same bytes.

Speed comes from doing once what does not change:

* once per process (`prepare`): the jinja2 template, the parsed stylesheet and the
  FontConfiguration with the pinned fonts loaded;
* once per course (an LRU of `COURSE_CACHE_SIZE`): the layout of everything learners
  of a course share: programme, partner, course, outcomes, signatory and all labels;
* per certificate: the layout of the learner's name, registration, dates, code, URL
  and QR code only, then one PDF with both layouts drawn on the same page.

Every box has a fixed place on the page (see certificate.css), so the two layouts never
interact and the page is the same as the "full" template laid out in one go.

Output is a pure function of the `CertificateData`: no clock, no randomness, no host
paths. The PDF's dates come from ``issued_on`` and its identifier from the code. It does
depend on the versions of WeasyPrint, Pango, HarfBuzz and the fonts, so a certificate
re-rendered after an upgrade may differ in bytes while printing the same facts.

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
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path

import jinja2
import weasyprint
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from PIL import Image
from weasyprint.document import Document, Page
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from . import fonts
from .data import CertificateData
from .fetcher import CertificateFetcher, RefusedURLError
from .qr import qr_png

#: How many course layouts a process keeps (each is a laid-out page, about 1 MB).
COURSE_CACHE_SIZE = 64
#: Written into the PDF's Creator field.
GENERATOR = "NWL innovation LMS certificates"

_DATA_SCHEME = "certificate-data"
_QR_URL = f"{_DATA_SCHEME}:qr.png"
_SIGNATURE_URL = f"{_DATA_SCHEME}:signature"
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
# Denser settings, tried in order until the text fits (see certificate.css).
_COURSE_DENSITIES = ("d0", "d1", "d2", "d3")
_NAME_DENSITIES = ("n0", "n1", "n2", "n3")
# What a course layout must not know: the learner's own fields, blanked.
_NO_LEARNER = {
    "learner_name": "",
    "registration": None,
    "code": "",
    "verify_url": "",
    "completed_on": datetime.date.min,
    "issued_on": datetime.date.min,
}


class UnprintableTextError(ValueError):
    """Text holds characters no installed font can draw; printing would show boxes."""

    def __init__(self, characters: str) -> None:
        self.characters = characters
        listed = ", ".join(f"U+{ord(c):04X}" for c in characters)
        super().__init__(f"no installed font can print {listed}")


def render_pdf(data: CertificateData) -> bytes:
    """Return the certificate as a one-page A4 landscape PDF.

    The same `data` always gives the same bytes (on the same fonts and libraries).
    Raises `RefusedURLError` if rendering tried to load anything outside the allow-list,
    `UnprintableTextError` if some text cannot be printed with the installed fonts and
    `ValueError` if the signature image is not a PNG or JPEG.
    """
    signature = _signature_resource(data.signature_image)
    with _LOCK:
        state = _prepared()
        course = _course_layer(state, data, signature)
        learner = _learner_layer(state, data)
        document = learner.document.copy([_LayeredPage(course.page, learner.page)])
        pdf = document.write_pdf(
            pdf_identifier=hashlib.sha256(data.code.encode()).hexdigest()[:32].encode()
        )
        _check_glyphs(document)
    return pdf


def render_html(data: CertificateData) -> str:
    """Return the certificate as one standalone HTML document.

    The page is the one `render_pdf` draws, for previews and as the benchmark's
    baseline: styles inline, fonts as ``file:`` URLs, images as ``data:`` URLs, so a
    plain ``weasyprint.HTML(string=...).write_pdf()`` renders it.
    """
    signature = _signature_resource(data.signature_image)
    with _LOCK:
        state = _prepared()
        course = _course_layer(state, data, signature)
        learner = _learner_layer(state, data)
    css = fonts.font_face_css(state.faces, file_urls=True) + state.css_text
    return _html(
        data,
        "full",
        course_density=course.density,
        name_density=learner.density,
        inline_css=Markup(css.replace("</", "<\\/")),
        qr_url=_data_url("image/png", qr_png(data.verify_url)),
        signature_url=signature and _data_url(signature[1], signature[0]),
    )


def prepare() -> None:
    """Do the per-process preparation now rather than on the first render.

    Safe to call more than once. Call it in each worker after forking (for example in
    gunicorn's ``post_worker_init``), not before: fonts are loaded per process.
    """
    with _LOCK:
        _prepared()


# --- Preparation, once per process ---------------------------------------------------


@dataclass
class _State:
    pid: int
    faces: tuple[fonts.PinnedFace, ...]
    css_text: str
    font_config: FontConfiguration
    stylesheet: weasyprint.CSS
    font_resources: dict[str, tuple[bytes | Path, str]]
    courses: OrderedDict[tuple, _Layer] = field(default_factory=OrderedDict)


_LOCK = threading.Lock()
_STATE: _State | None = None
# Font configurations inherited from a parent process; kept so they are never
# collected in a child, whose clean-up would delete the parent's font files.
_INHERITED: list[FontConfiguration] = []


def _prepared() -> _State:
    global _STATE
    if _STATE is None or _STATE.pid != os.getpid():
        faces = fonts.pinned_faces()
        css_text = (
            f"html {{ font-family: {fonts.font_family_css(faces)}; }}\n"
            + resources.files(__package__).joinpath("templates/certificate.css").read_text()
        )
        font_resources = {face.url: (face.path, "font/ttf") for face in faces}
        font_config = FontConfiguration()
        stylesheet = weasyprint.CSS(
            string=fonts.font_face_css(faces) + css_text,
            font_config=font_config,
            url_fetcher=CertificateFetcher(font_resources),
        )
        _STATE = _State(
            os.getpid(), faces, css_text, font_config, stylesheet, font_resources
        )
    return _STATE


def _forget_parent_state() -> None:
    global _STATE
    if _STATE is not None:
        # FontConfiguration deletes its font folder when collected; the folder is the
        # parent's, so make this copy forget it.
        _STATE.font_config._folder = None
        _INHERITED.append(_STATE.font_config)
        _STATE = None


os.register_at_fork(after_in_child=_forget_parent_state)


# --- Templates ------------------------------------------------------------------------


def _direction(text: str | None) -> str:
    """Return "rtl" when the first strongly directional character is right-to-left."""
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
    trim_blocks=True,
)
_ENVIRONMENT.filters["direction"] = _direction
_TEMPLATE = _ENVIRONMENT.get_template("certificate.html")


def _html(data: CertificateData, layer: str, **context: object) -> str:
    context.setdefault("inline_css", None)
    return _TEMPLATE.render(
        data=data,
        layer=layer,
        generator=GENERATOR,
        cpd_hours=_hours(data.cpd_hours),
        completed_on=_long_date(data.completed_on),
        issued_on=_long_date(data.issued_on),
        two_columns=len(data.outcomes) > 4 or sum(map(len, data.outcomes)) > 360,
        link_url=data.verify_url if data.verify_url.startswith("https://") else None,
        **context,
    )


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _hours(hours: Decimal | float | int) -> str:
    text = format(Decimal(str(hours)).normalize(), "f")
    return f"{text} hour" if text == "1" else f"{text} hours"


# --- Layers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    document: Document
    page: Page
    density: str


class _LayeredPage(Page):
    """A page that draws separately laid-out pages of the same size, in order."""

    def __init__(self, *layers: Page) -> None:
        # Geometry from the first layer, links from all. No anchors or bookmarks: the ids
        # are for measuring (see _fits), not for the PDF's outline.
        first = layers[0]
        self.width, self.height, self.bleed = first.width, first.height, first.bleed
        self.links = [link for layer in layers for link in layer.links]
        self.bookmarks, self.anchors, self.forms = [], {}, {None: []}
        self._layers = layers

    def paint(self, stream, scale=1):  # noqa: ANN001 - WeasyPrint's signature
        for layer in self._layers:
            layer.paint(stream, scale)


def _course_layer(
    state: _State, data: CertificateData, signature: tuple[bytes, str] | None
) -> _Layer:
    course_data = replace(data, **_NO_LEARNER)
    key = (course_data, state.faces)
    if (layer := state.courses.get(key)) is not None:
        state.courses.move_to_end(key)
        return layer
    fetcher_resources = dict(state.font_resources)
    if signature is not None:
        fetcher_resources[_SIGNATURE_URL] = signature
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
            qr_url=None,
            signature_url=_SIGNATURE_URL if signature else None,
        ),
    )
    state.courses[key] = layer
    if len(state.courses) > COURSE_CACHE_SIZE:
        state.courses.popitem(last=False)
    return layer


def _learner_layer(state: _State, data: CertificateData) -> _Layer:
    # Full-width characters (CJK) take about twice the room of Latin letters.
    width = sum(
        2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in data.learner_name
    )
    start = 0 if width <= 30 else 1 if width <= 38 else 2 if width <= 48 else 3
    return _fit(
        state,
        "name",
        _NAME_DENSITIES[start:],
        {**state.font_resources, _QR_URL: (qr_png(data.verify_url), "image/png")},
        lambda density: _html(
            data,
            "learner",
            course_density="d0",
            name_density=density,
            qr_url=_QR_URL,
            signature_url=None,
        ),
    )


def _fit(state: _State, slot: str, densities, fetcher_resources, html_for) -> _Layer:  # noqa: ANN001
    """Lay out with each density in turn until the text fits in `slot`."""
    for density in densities:
        fetcher = CertificateFetcher(fetcher_resources)
        try:
            document = weasyprint.HTML(
                string=html_for(density), url_fetcher=fetcher
            ).render(stylesheets=[state.stylesheet], font_config=state.font_config)
        except FatalURLFetchingError as error:
            raise RefusedURLError(str(error.__cause__ or error)) from error
        if fetcher.refused:
            raise RefusedURLError(f"certificates may not load {fetcher.refused[0][:200]!r}")
        if _fits(document.pages[0], slot):
            break
    # The densest setting clips its slot, so it is used whether or not it fits.
    return _Layer(document, document.pages[0], density)


def _fits(page: Page, slot: str) -> bool:
    """Whether the end marker of `slot` lies within the slot's box.

    WeasyPrint reports the box of every element with an id as an "anchor"
    ``(left, top, right, bottom)`` in CSS pixels.
    """
    box, end = page.anchors.get(f"{slot}-slot"), page.anchors.get(f"{slot}-end")
    return box is not None and end is not None and end[3] <= box[3] + 0.01


# --- Checks ---------------------------------------------------------------------------


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
    # WeasyPrint draws a box (.notdef) for a character no font has, and notes it.
    missing = {
        codepoint
        for font in document.fonts.values()
        for codepoint in getattr(font, "missing", {})
    }
    if missing:
        raise UnprintableTextError("".join(map(chr, sorted(missing))))


def _data_url(media_type: str, body: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(body).decode()}"
