"""The certificate PDF: what it prints, that it is one page, and that it never changes."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import weasyprint
from PIL import Image, ImageChops

from certificates import RefusedURLError, UnprintableTextError, render_html, render_pdf
from certificates import render as rendering
from certificates.fetcher import CertificateFetcher
from certificates.layers import Recording

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ("latin", "irish", "arabic", "chinese")  # the names in conftest.py
A4_LANDSCAPE = (841.89, 595.28)  # points


def squeeze(text: str) -> str:
    """Text without the line breaks and spaces where layout wrapped it."""
    return "".join(text.split())


def image_bytes(kind: str, size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 40, 160)).save(buffer, format=kind)
    return buffer.getvalue()


# --- Always the same bytes -------------------------------------------------------------


@pytest.mark.parametrize("script", ["irish", "arabic"])  # the fast path and the full path
def test_the_same_certificate_renders_to_identical_bytes(script, make_certificate, names):
    data = make_certificate(learner_name=names[script])
    first = render_pdf(data)
    rendering._prepared().writer._subsets.clear()  # a font subset made afresh is the same
    render_pdf(make_certificate(learner_name="Someone Else", code="1110-0000-0000-01"))
    assert render_pdf(data) == first


def test_a_new_process_renders_identical_bytes(make_certificate, names):
    data = make_certificate(learner_name=names["latin"])
    script = (
        "import hashlib, sys, datetime\n"
        "from certificates import CertificateData, render_pdf\n"
        f"data = {data!r}\n"
        "sys.stdout.write(hashlib.sha256(render_pdf(data)).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.stdout == hashlib.sha256(render_pdf(data)).hexdigest()


def test_drawing_the_course_once_gives_the_bytes_of_drawing_it_afresh(
    make_certificate, names, monkeypatch
):
    data = make_certificate(learner_name=names["arabic"], signature_image=image_bytes("PNG"))
    recorded = render_pdf(data)
    state = rendering._prepared()
    assert any(isinstance(layer.drawing, Recording) for layer in state.courses.values())

    monkeypatch.setattr(Recording, "of", classmethod(lambda cls, page, scale=0.75: None))
    monkeypatch.setattr(state, "courses", type(state.courses)())
    assert render_pdf(data) == recorded


def test_the_pdf_dates_and_identifier_come_from_the_certificate(make_certificate, read_pdf):
    data = make_certificate()
    pdf = read_pdf(render_pdf(data))
    assert pdf.metadata["/CreationDate"] == pdf.metadata["/ModDate"] == "D:20251121"
    assert pdf.metadata["/Title"] == "Certificate of completion: Introduction to clinical innovation"
    identifier = pdf.trailer["/ID"][0]
    assert identifier == hashlib.sha256(data.code.encode()).hexdigest()[:32]
    other = read_pdf(render_pdf(make_certificate(code="1110-0000-0000-01")))
    assert other.trailer["/ID"][0] != identifier


def test_a_certificate_survives_forking_and_the_parent_keeps_its_fonts(make_certificate):
    data = make_certificate()
    expected = render_pdf(data)
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        child = pool.apply(_render_in_child, (data,))
    assert child == hashlib.sha256(expected).hexdigest()
    assert render_pdf(make_certificate(learner_name="After The Fork")) != expected
    assert render_pdf(data) == expected


def _render_in_child(data) -> str:
    digest = hashlib.sha256(render_pdf(data)).hexdigest()
    import gc

    gc.collect()  # a collected copy of the parent's fonts must not delete its files
    return digest


# --- What it prints ----------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_fact_prints_for_a_name_in_any_script(script, rendered_by_script, read_text):
    data, pdf = rendered_by_script[script]
    text = read_text(pdf)
    for fact in (
        data.learner_name,
        data.registration,
        data.course_title,
        data.track,
        "6 hours",
        data.code,
        data.verify_url,
        data.partner_name,
        data.signatory_name,
        data.signatory_title,
        "20 November 2025",
        "21 November 2025",
        data.content_revision,
        *data.outcomes,
    ):
        assert squeeze(fact) in squeeze(text), fact
    assert "\ufffd" not in text and ".notdef" not in text


@pytest.mark.parametrize(
    ("script", "font"),
    [("latin", None), ("irish", None), ("arabic", "Noto-Sans-Arabic"), ("chinese", "Noto-Sans-CJK")],
)
def test_names_print_in_the_pinned_font_or_a_font_of_their_script(
    script, font, rendered_by_script, read_pdf
):
    _, pdf = rendered_by_script[script]
    fonts = read_pdf(pdf).pages[0]["/Resources"]["/Font"]
    names = {fonts[key].get_object()["/BaseFont"].split("+", 1)[1] for key in fonts}
    assert {"Certificate-Sans", "Certificate-Sans-Bold"} <= names
    others = names - {"Certificate-Sans", "Certificate-Sans-Bold"}
    if font is None:
        assert others == set()  # Latin, Greek, Cyrillic, Vietnamese: the two pinned files
    else:
        assert others and all(name.startswith(font) for name in others), names


@pytest.mark.parametrize(
    ("name", "font"),
    [
        ("Αλέξανδρος Παπαδόπουλος", None),
        ("Анна Иванова", None),
        ("Şükrü Çağlar", None),
        ("שרה כהן", "Noto-Sans-Hebrew"),
        ("प्रिया शर्मा", "Noto-Sans-Devanagari"),
        ("রহিম উদ্দিন", "Noto-Sans-Bengali"),
        ("ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "Noto-Sans-Gurmukhi"),
        ("પ્રિયા પટેલ", "Noto-Sans-Gujarati"),
        ("முருகன்", "Noto-Sans-Tamil"),
        ("සුනිල් පෙරේරා", "Noto-Sans-Sinhala"),
        ("สมชาย ใจดี", "Noto-Sans-Thai"),
        ("عائشہ خان", "Noto-Sans-Arabic"),
        ("አበበ ቢቂላ", "Noto-Sans-Ethiopic"),
        ("김민준", "Noto-Sans-CJK"),
        ("山田太郎", "Noto-Sans-CJK"),
    ],
)
def test_names_in_other_scripts_print_in_a_font_that_has_them(name, font, make_certificate, read_pdf):
    # No UnprintableTextError means every character had a glyph. (Text extraction is not
    # compared: PDF cannot record the reordering of Indic clusters such as the reph.)
    fonts = read_pdf(render_pdf(make_certificate(learner_name=name))).pages[0]["/Resources"]["/Font"]
    names = {fonts[key].get_object()["/BaseFont"].split("+", 1)[1] for key in fonts}
    others = names - {"Certificate-Sans", "Certificate-Sans-Bold"}
    assert all(other.startswith(font) for other in others) and bool(others) == bool(font), names


def test_text_no_installed_font_can_print_is_refused_not_printed_as_boxes(make_certificate):
    with pytest.raises(UnprintableTextError) as refused:
        render_pdf(make_certificate(learner_name="Ada \u0378 Lovelace"))
    assert refused.value.characters == "\u0378"


@pytest.mark.parametrize(
    ("hours", "printed"), [(1, "1 hour"), (1.5, "1.5 hours"), ("7.50", "7.5 hours"), (12, "12 hours")]
)
def test_cpd_hours_print_without_trailing_zeros(hours, printed, make_certificate):
    from decimal import Decimal

    html = render_html(make_certificate(cpd_hours=Decimal(str(hours))))
    assert f"<strong>{printed}</strong>" in html


def test_the_verify_url_is_a_link(make_certificate, read_pdf):
    data = make_certificate()
    page = read_pdf(render_pdf(data)).pages[0]
    targets = {annotation.get_object()["/A"]["/URI"] for annotation in page["/Annots"]}
    assert targets == {data.verify_url}


# --- One page, whatever the text ---------------------------------------------------------


def test_a_certificate_is_one_a4_landscape_page(rendered_by_script, read_pdf):
    for _, pdf in rendered_by_script.values():
        pages = read_pdf(pdf).pages
        assert len(pages) == 1
        box = pages[0].mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_LANDSCAPE


def test_a_long_name_and_eight_long_outcomes_shrink_onto_one_page(
    make_certificate, read_pdf, read_text
):
    outcomes = tuple(
        f"Outcome {i}: explain how to plan, test and measure a change in a busy clinical "
        "setting, working with patients, carers and colleagues across organisations, and "
        "share what was learned so that others can build on it"
        for i in range(1, 9)
    )
    data = make_certificate(
        learner_name="Maximiliana Alexandra Wilhelmina Montgomery-Fitzwilliam-Featherstonehaugh",
        course_title="Leading quality improvement and innovation in integrated health and "
        "social care services across North West London",
        outcomes=outcomes,
    )
    pdf = render_pdf(data)
    assert len(read_pdf(pdf).pages) == 1
    text = squeeze(read_text(pdf))
    for fact in (data.learner_name, data.course_title, *outcomes):
        assert squeeze(fact) in text, fact


def test_absurdly_long_text_is_clipped_rather_than_printed_on_a_second_page(
    make_certificate, read_pdf
):
    data = make_certificate(
        learner_name="Name " * 80,
        course_title="Course " * 60,
        outcomes=tuple("Outcome " * 40 for _ in range(40)),
    )
    assert len(read_pdf(render_pdf(data)).pages) == 1


# --- Nothing outside the certificate gets in ---------------------------------------------


def test_markup_and_urls_in_text_fields_print_as_text(make_certificate, read_text):
    data = make_certificate(
        learner_name='<img src="file:///etc/passwd">',
        partner_name='<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
        signatory_name="file:///etc/passwd",
        signatory_title='<style>@import "https://example.com/x.css";</style>',
        track="<svg><image href='file:///etc/passwd'/></svg>",
    )
    pdf = render_pdf(data)
    text = squeeze(read_text(pdf))
    for field in (data.learner_name, data.partner_name, data.signatory_title, data.track):
        assert squeeze(field) in text
    passwd = Path("/etc/passwd").read_bytes().splitlines()[0]
    assert passwd not in pdf and b"root:" not in pdf


@pytest.mark.parametrize(
    "signature",
    [
        b"file:///etc/passwd",
        b"http://example.com/signature.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
        b"\x89PNG\r\n\x1a\n but not a PNG",
    ],
)
def test_a_signature_that_is_not_an_image_is_refused(signature, make_certificate):
    with pytest.raises(ValueError, match="signature_image"):
        render_pdf(make_certificate(signature_image=signature))


def test_a_signature_in_another_image_format_is_refused(make_certificate):
    with pytest.raises(ValueError, match="PNG or JPEG, not GIF"):
        render_pdf(make_certificate(signature_image=image_bytes("GIF")))


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_png_or_jpeg_signature_is_printed(kind, make_certificate, read_pdf):
    pdf = render_pdf(make_certificate(signature_image=image_bytes(kind)))
    assert len(read_pdf(pdf).pages[0].images) == 2  # the signature and the QR code


def test_a_refused_url_stops_the_render_with_an_error_the_caller_sees(make_certificate, names, monkeypatch):
    # Only a bug in our own template could ask for another URL; simulate one. (An Arabic name takes
    # the full path: the fast path loads nothing.)
    template_html = rendering._html
    monkeypatch.setattr(
        rendering,
        "_html",
        lambda *args, **kwargs: template_html(*args, **kwargs).replace(
            rendering._QR_URL, "file:///etc/passwd"
        ),
    )
    with pytest.raises(RefusedURLError, match="etc/passwd"):
        render_pdf(make_certificate(learner_name=names["arabic"]))


def test_the_fetcher_never_serves_a_file_url(make_certificate):
    # WeasyPrint reads an image from disk when its URL is a file: URL, whatever the body.
    with pytest.raises(ValueError, match="file"):
        CertificateFetcher({"file:///etc/passwd": (b"", "image/png")})


# --- The standalone HTML ---------------------------------------------------------------------


def raster(pdf: bytes) -> Image.Image:
    """The page as poppler draws it at 60 dpi."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    command = ["pdftoppm", "-r", "60", "-singlefile", "-"]
    return Image.open(io.BytesIO(subprocess.run(command, input=pdf, capture_output=True, check=True).stdout))


@pytest.mark.parametrize("script", ["irish", "arabic"])
def test_the_standalone_html_gives_the_same_page_with_plain_weasyprint(
    script, make_certificate, names, read_pdf
):
    data = make_certificate(learner_name=names[script], signature_image=image_bytes("PNG"))
    html = render_html(data)
    assert "certificate-font:" not in html and "certificate-data:" not in html
    standalone = weasyprint.HTML(string=html).write_pdf()
    assert len(read_pdf(standalone).pages) == 1
    # The layers drawn one over the other are the page laid out in one go.
    difference = ImageChops.difference(raster(standalone), raster(render_pdf(data)))
    assert difference.getbbox() is None


# --- The fast path and the full path give the same certificate -------------------------------


def pdftotext(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize(
    ("name", "fast"),
    [
        ("Zoë Łukasiewicz-Nguyễn", True),
        ("Αλέξανδρος Παπαδόπουλος", True),
        ("Анна Иванова", True),
        ("فاطمة الزهراء", False),  # right to left, joined letters
        ("שרה כהן", False),
        ("प्रिया शर्मा", False),  # clusters need shaping
        ("สมชาย ใจดี", False),
        ("王秀英", False),  # another font
        ("Zoe\u0308 Combining", False),  # a combining mark
        ("Maximiliana Alexandra Wilhelmina Montgomery", False),  # a smaller setting of the name
    ],
)
def test_both_paths_print_the_same_certificate(name, fast, make_certificate, monkeypatch):
    data = make_certificate(learner_name=name, signature_image=image_bytes("PNG"))
    taken = render_pdf(data)
    monkeypatch.setattr(rendering, "_render_directly", lambda *args: None)
    full = render_pdf(data)
    assert (taken != full) == fast  # the rule in direct.drawn_directly chose the path
    text = pdftotext(taken)
    assert text == pdftotext(full)
    assert data.code in text and data.verify_url.rsplit("/", 1)[0] in text
    if fast:
        assert ImageChops.difference(raster(taken), raster(full)).getbbox() is None
        assert pdftotext(render_pdf(data)) == text
        page = pypdf_page(taken)
        assert len(page.images) == 2  # the signature and the QR code
        assert {a.get_object()["/A"]["/URI"] for a in page["/Annots"]} == {data.verify_url}


def pypdf_page(pdf: bytes):
    import pypdf

    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0]


def test_the_fast_path_draws_the_qr_code_that_reads_back(make_certificate, monkeypatch):
    # The same pixels as the full path's PNG, so the QR tests of the full path hold for both.
    from certificates import qr

    data = make_certificate()
    pixels, side = qr.qr_pixels(data.verify_url)
    assert Image.open(io.BytesIO(qr.qr_png(data.verify_url))).tobytes() == pixels
    image = pypdf_page(render_pdf(data)).images
    assert any(picture.image.size == (side, side) and picture.image.tobytes() == pixels for picture in image)


@pytest.mark.parametrize(
    "changes",
    [
        {"learner_name": "Ada  Lovelace"},  # the layout collapses spaces
        {"learner_name": "Ada Lovelace", "registration": "NMC " + "12A3456B " * 20},  # wraps
        {"verify_url": "https://learn.nwl.example.nhs.uk/" + "v" * 150 + "/7KQ2-M9XD-4TRA-3X"},  # clipped
    ],
)
def test_lines_that_would_not_land_as_in_the_reference_take_the_full_path(changes, make_certificate, monkeypatch):
    data = make_certificate(**changes)
    taken = render_pdf(data)
    monkeypatch.setattr(rendering, "_render_directly", lambda *args: None)
    assert render_pdf(data) == taken
