"""Drawing separately laid-out pages one over the other, and drawing a page only once.

WeasyPrint shapes and writes every line of text again each time it draws a page. The
course layer of a certificate is the same for every learner of a course, so
`Recording` draws it once into a scratch stream and `LayeredPage` copies those drawing
operations, with the fonts, glyphs and images they use, into each new PDF. The bytes
are the same as drawing afresh (tests compare the two); `Recording.of` returns None,
and the page is simply drawn again, if this WeasyPrint does not look as expected.

This module leans on WeasyPrint internals (``weasyprint.pdf.stream``); it is the only
one that does.
"""

from __future__ import annotations

import logging

from weasyprint.document import Page

LOGGER = logging.getLogger(__name__)

try:  # Internals: checked again, and worked around, when a recording is made.
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.fonts import get_pango_font_key
except ImportError:  # pragma: no cover - a WeasyPrint without them
    Stream = get_pango_font_key = None


class LayeredPage(Page):
    """A page that draws pages of the same size laid out separately, in order.

    A layer is a `Page`, or a `Recording` of one.
    """

    def __init__(self, *layers: Page | Recording) -> None:
        # Not Page.__init__, which gathers all this from a single page box.
        pages = [layer.page if isinstance(layer, Recording) else layer for layer in layers]
        # Geometry from the first layer, links from all. No anchors or bookmarks: the
        # ids in the template are for measuring, not for the PDF's outline.
        first = pages[0]
        self.width, self.height, self.bleed = first.width, first.height, first.bleed
        self.links = [link for page in pages for link in page.links]
        self.bookmarks, self.anchors, self.forms = [], {}, {None: []}
        self._layers = layers

    def paint(self, stream, scale=1):
        for layer in self._layers:
            if isinstance(layer, Recording):
                layer.replay(stream, scale)
            else:
                layer.paint(stream, scale)


class Recording:
    """The drawing of one page, made once and copied into any number of PDFs."""

    def __init__(self, page: Page, scale: float, operations, fonts, states, images):
        # Keeping `page` alive keeps its text layouts alive, and with them the Pango
        # fonts that `fonts` points to.
        self.page = page
        self._scale = scale
        self._operations = operations
        self._fonts = fonts
        self._states = states
        self._images = images

    @classmethod
    def of(cls, page: Page, scale: float = 0.75) -> Recording | None:
        """Draw `page` as WeasyPrint would at `scale` (0.75 for PDF at zoom 1)."""
        if Stream is None:
            return None
        try:
            return cls._record(page, scale)
        except (AttributeError, KeyError, TypeError, ValueError) as error:  # pragma: no cover
            LOGGER.warning("cannot record certificate layer, drawing it each time: %s", error)
            return None

    @classmethod
    def _record(cls, page: Page, scale: float) -> Recording | None:
        pango_fonts = {}

        class Recorder(Stream):
            def add_font(self, pango_font):
                pango_fonts.setdefault(get_pango_font_key(pango_font)[0], pango_font)
                return super().add_font(pango_font)

        resources = {
            "ExtGState": {}, "XObject": {}, "Pattern": {}, "Shading": {}, "ColorSpace": None
        }
        fonts, images = {}, {}
        rectangle = (0, 0, page.width, page.height)
        recorder = Recorder(fonts, rectangle, resources, images, None, {}, None, compress=True)
        page.paint(recorder, scale)
        if (
            resources["Pattern"]
            or resources["Shading"]
            or any(x_object is not None for x_object in resources["XObject"].values())
            or any("SMask" in state for state in resources["ExtGState"].values())
            or any(font.missing or font.used_in_forms for font in fonts.values())
        ):
            # Only plain drawing (text, rules, fills, images) is copied. Certificates use
            # no gradients, patterns or transparency groups, and missing glyphs make
            # rendering fail anyway; anything else is drawn afresh each time.
            return None
        return cls(
            page,
            scale,
            # One item: WeasyPrint joins a stream's operations with newlines when it
            # writes the PDF, so joining them now gives the same bytes, once.
            [b"\n".join(recorder.stream)],
            {
                key: (pango_fonts[key], dict(font.widths), dict(font.to_unicode))
                for key, font in fonts.items()
            },
            dict(resources["ExtGState"]),
            {name: (image["image"], image["interpolate"], set(image["dpi_ratios"]))
             for name, image in images.items()},
        )

    def replay(self, stream, scale: float) -> None:
        """Copy the drawing into `stream`, a page's stream in a document being written."""
        if scale != self._scale:  # pragma: no cover - render.py always writes at zoom 1
            self.page.paint(stream, scale)
            return
        stream.stream.extend(self._operations)
        # Fonts in the order they were first used, as a fresh drawing would add them.
        for pango_font, widths, to_unicode in self._fonts.values():
            font, _ = stream.add_font(pango_font)
            font.widths.update(widths)
            font.to_unicode.update(to_unicode)
        for name, state in self._states.items():
            # A copy: WeasyPrint may number the objects it writes into a PDF.
            stream._resources["ExtGState"].setdefault(name, type(state)(state))
        for name, (image, interpolate, ratios) in self._images.items():
            stream._resources["XObject"][name] = None  # set when the PDF is written
            stream._images[name] = {
                "image": image,
                "interpolate": interpolate,
                "dpi_ratios": set(ratios),
                "x_object": None,
            }
