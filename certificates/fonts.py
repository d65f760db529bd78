"""Which fonts a certificate is set in, and where they come from.

NHS identity type is Frutiger (proprietary) with Arial as the named fallback. We set
certificates in Noto Sans, a humanist sans like Frutiger, from the Debian package
``fonts-noto-core``: it covers Latin (including Vietnamese), Greek and Cyrillic, so almost
every certificate is printed from two known files. Those files are pinned with
``@font-face`` under the private family name "Certificate Sans", which keeps the bytes
identical on every host with the same packages whatever else fontconfig knows about.

Other scripts fall through the `FALLBACK_FAMILIES` list to installed system fonts
(``fonts-noto-core`` for Arabic, Hebrew, Indic and others; ``fonts-noto-cjk`` for
Chinese, Japanese and Korean). A character no installed font has is refused by
`render_pdf` rather than printed as a box.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LOGGER = logging.getLogger(__name__)

#: Family name the pinned faces are declared under in ``@font-face``.
PINNED_FAMILY = "Certificate Sans"

#: Scheme of the URLs the stylesheet uses for pinned fonts; see `fetcher.py`.
FONT_SCHEME = "certificate-font"

#: System families tried, in order, for characters the pinned faces lack. Explicit
#: names so fontconfig's choice does not depend on the host's language settings.
FALLBACK_FAMILIES = (
    "Noto Sans",
    "Liberation Sans",
    "Arial",
    "Noto Sans Arabic",
    "Noto Naskh Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Gurmukhi",
    "Noto Sans Gujarati",
    "Noto Sans Tamil",
    "Noto Sans Telugu",
    "Noto Sans Thai",
    "Noto Sans Ethiopic",
    "Noto Sans Armenian",
    "Noto Sans Georgian",
    "Noto Sans Sinhala",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "DejaVu Sans",
)

# Debian's paths first; fontconfig is asked only if a file is not there.
_SEARCH = {
    ("Noto Sans", "normal"): (
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    ),
    ("Noto Sans", "bold"): (
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "/usr/share/fonts/noto/NotoSans-Bold.ttf",
    ),
}


@dataclass(frozen=True)
class PinnedFace:
    """One font file declared with ``@font-face``."""

    weight: str
    path: Path

    @property
    def url(self) -> str:
        return f"{FONT_SCHEME}:{self.path.name}"


@cache
def pinned_faces() -> tuple[PinnedFace, ...]:
    """Return the faces to pin, or () if the files are missing (system fonts then)."""
    faces = []
    for (family, weight), candidates in _SEARCH.items():
        path = next((Path(p) for p in candidates if Path(p).is_file()), None)
        path = path or _ask_fontconfig(family, weight)
        if path is None:
            LOGGER.warning(
                "%s (%s) not found: certificates fall back to system fonts and may "
                "differ between hosts; install fonts-noto-core",
                family,
                weight,
            )
            return ()
        faces.append(PinnedFace(weight, path))
    return tuple(faces)


def font_face_css(faces: tuple[PinnedFace, ...], *, file_urls: bool = False) -> str:
    """Return ``@font-face`` rules for `faces`.

    `file_urls` gives ``file://`` sources, for a standalone HTML file rendered by a
    plain WeasyPrint; our own renderer serves the fonts through its fetcher.
    """
    rules = []
    for face in faces:
        url = face.path.as_uri() if file_urls else face.url
        rules.append(
            f'@font-face {{ font-family: "{PINNED_FAMILY}"; font-weight: {face.weight};'
            f' src: url("{url}"); }}'
        )
    return "\n".join(rules)


def font_family_css(faces: tuple[PinnedFace, ...]) -> str:
    """Return the ``font-family`` value: pinned family first, then the fallbacks."""
    families = ((PINNED_FAMILY,) if faces else ()) + FALLBACK_FAMILIES
    return ", ".join(f'"{family}"' for family in families) + ", sans-serif"


def _ask_fontconfig(family: str, weight: str) -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    pattern = f"{family}:weight={'bold' if weight == 'bold' else 'regular'}"
    result = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
        [fc_match, "--format=%{family[0]}|%{file}", pattern],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    found_family, _, file = result.stdout.partition("|")
    # fc-match always answers with something; only the family we asked for will do.
    if result.returncode != 0 or found_family != family or not Path(file).is_file():
        return None
    return Path(file)


# --- Can this host draw certificates? Checked when a process starts -------------------------

#: Shared libraries WeasyPrint loads (Debian package in brackets in the message).
LIBRARIES = (
    ("libpango-1.0.so.0", "libpango-1.0-0"),
    ("libpangoft2-1.0.so.0", "libpangoft2-1.0-0"),
    ("libharfbuzz-subset.so.0", "libharfbuzz-subset0"),
)

#: Every script certificates promise to print: (script, family that covers it, Debian package).
PROMISED_SCRIPTS = (
    ("Latin, Greek and Cyrillic", "Noto Sans", "fonts-noto-core"),
    ("Arabic and Urdu", "Noto Sans Arabic", "fonts-noto-core"),
    ("Hebrew", "Noto Sans Hebrew", "fonts-noto-core"),
    ("Devanagari", "Noto Sans Devanagari", "fonts-noto-core"),
    ("Bengali", "Noto Sans Bengali", "fonts-noto-core"),
    ("Gurmukhi", "Noto Sans Gurmukhi", "fonts-noto-core"),
    ("Gujarati", "Noto Sans Gujarati", "fonts-noto-core"),
    ("Tamil", "Noto Sans Tamil", "fonts-noto-core"),
    ("Sinhala", "Noto Sans Sinhala", "fonts-noto-core"),
    ("Thai", "Noto Sans Thai", "fonts-noto-core"),
    ("Ethiopic", "Noto Sans Ethiopic", "fonts-noto-core"),
    ("Chinese, Japanese and Korean", "Noto Sans CJK SC", "fonts-noto-cjk"),
)


def installed_families() -> set[str] | None:
    """Font families fontconfig knows now (one ``fc-list`` run), or None without fontconfig."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
        [fc_list, "--format=%{family}\\n"], capture_output=True, text=True, check=False, timeout=30
    )
    return {name.strip() for line in result.stdout.splitlines() for name in line.split(",")}


def missing_requirements() -> tuple[list[str], list[str]]:
    """What this host lacks to draw every promised certificate: (problems, Debian packages to install).

    Fast (no WeasyPrint import): loads the libraries with ctypes and asks fontconfig once.
    """
    import ctypes

    problems, packages = [], []
    missing_libraries = []
    for library, package in LIBRARIES:
        try:
            ctypes.CDLL(library)
        except OSError:
            missing_libraries.append(package)
    if missing_libraries:
        problems.append("Pango/HarfBuzz are not installed, so no certificate can be drawn")
        packages += missing_libraries
    families = installed_families()
    if families is None:
        problems.append("fontconfig is not installed, so no fonts can be found")
        packages += ["fontconfig", *dict.fromkeys(p for _, _, p in PROMISED_SCRIPTS)]
        return problems, packages
    missing = [(script, package) for script, family, package in PROMISED_SCRIPTS if family not in families]
    if missing:
        problems.append("no font for names in " + ", ".join(script for script, _ in missing))
        packages += list(dict.fromkeys(package for _, package in missing))
    return problems, packages


def startup_warning() -> str | None:
    """One line saying why certificates cannot (all) be drawn and the command that fixes it, or None."""
    problems, packages = missing_requirements()
    if not problems:
        return None
    which = "Certificates" if problems[0].startswith(("Pango", "fontconfig")) else "Some certificates"
    return (f"{which} cannot be drawn on this host: {'; '.join(problems)}. "
            f"Fix: sudo apt-get install {' '.join(packages)} (no restart needed; or run 'make run', "
            "which installs them)")


def fonts_fingerprint() -> tuple[float, ...]:
    """Modification times of the font folders: they change when fonts are installed or removed."""
    folders = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts"]
    stamps = []
    for folder in folders:
        if folder.is_dir():
            stamps += [folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.rglob("*") if p.is_dir())]
    return tuple(stamps)
# Characters that need no glyph of their own (joiners, direction marks, variation selectors).
_NO_GLYPH_CATEGORIES = ("Cf", "Zl", "Zp")


@cache
def _covered_codepoints() -> frozenset[int]:
    """Every code point some font a certificate may use has a glyph for (read from the fonts' cmaps)."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    paths = {face.path for face in pinned_faces()}
    for family in FALLBACK_FAMILIES:
        found = _ask_fontconfig(family, "normal")
        if found is not None:
            paths.add(found)
    covered: set[int] = set()
    for path in paths:
        try:
            opened = TTCollection(str(path), lazy=True) if path.suffix.lower() == ".ttc" else TTFont(str(path),
                                                                                                   lazy=True)
            with opened:
                for font in getattr(opened, "fonts", [opened]):
                    covered.update(font.getBestCmap() or {})
        except (OSError, TTLibError) as error:
            LOGGER.warning("cannot read %s: %s", path, error)
    return frozenset(covered)


def unprintable_characters(text: str) -> str:
    """The characters of `text` (each once, in order) that no certificate font can draw; "" if all can.

    Use it where a name is typed, so a certificate never fails to draw (or prints a box) later.
    Control characters are always unprintable.
    """
    import unicodedata

    covered = _covered_codepoints()
    found: dict[str, None] = {}
    for char in text:
        category = unicodedata.category(char)
        missing = category not in _NO_GLYPH_CATEGORIES and ord(char) not in covered and not char.isspace()
        if category == "Cc" or missing:
            found[char] = None
    return "".join(found)
