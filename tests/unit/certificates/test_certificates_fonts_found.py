"""Fonts are found when a process starts, and fonts installed later are found without a restart.

Each test runs a fresh Python whose fontconfig sees only a folder of its own, so installing a
font means copying a file into that folder, as apt-get would into /usr/share/fonts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from certificates import fonts

ROOT = Path(__file__).resolve().parents[3]
ARABIC = Path("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf")
pytestmark = pytest.mark.skipif(not ARABIC.exists() or not shutil.which("fc-list"),
                                reason="needs fontconfig and fonts-noto-core (make test installs them)")


@pytest.fixture
def bare_fonts(tmp_path):
    """Environment for a Python that sees only ~/.local/share/fonts (empty) as its fonts."""
    home = tmp_path / "home"
    folder = home / ".local" / "share" / "fonts"
    folder.mkdir(parents=True)
    conf = tmp_path / "fonts.conf"
    conf.write_text(textwrap.dedent(f"""\
        <?xml version="1.0"?>
        <!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
        <fontconfig><dir>{folder}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>
    """))
    env = {**os.environ, "HOME": str(home), "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(ROOT)}
    return env, folder


def run(env, code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_start_up_names_the_scripts_without_fonts_and_the_fix(bare_fonts):
    env, folder = bare_fonts
    out = run(env, "from certificates import fonts; print(fonts.startup_warning())")
    assert out.startswith("Some certificates cannot be drawn on this host: no font for names in ")
    assert "Arabic and Urdu" in out and "Chinese, Japanese and Korean" in out
    assert "Fix: sudo apt-get install fonts-noto-core fonts-noto-cjk" in out
    assert len(out.strip().splitlines()) == 1


def test_no_warning_where_every_promised_script_has_a_font():
    if fonts.startup_warning() is not None:
        pytest.skip(f"this host lacks fonts: {fonts.startup_warning()}")
    problems, packages = fonts.missing_requirements()
    assert problems == [] and packages == []


def test_a_font_installed_while_the_process_runs_is_used_without_a_restart(bare_fonts):
    env, folder = bare_fonts
    out = run(env, f"""
        import shutil, time
        from tests.unit.certificates.conftest import _certificate
        from certificates import UnprintableTextError, render_pdf
        data = _certificate(learner_name="فاطمة الزهراء")
        try:
            render_pdf(data)
            print("printed before the font was installed")
        except UnprintableTextError:
            print("refused")
        time.sleep(0.01)
        shutil.copy({str(ARABIC)!r}, {str(folder)!r})
        pdf = render_pdf(data)
        import io, pypdf
        used = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
        print("printed", any("Noto-Sans-Arabic" in font.get_object()["/BaseFont"] for font in used))
    """)
    assert out.split() == ["refused", "printed", "True"]
