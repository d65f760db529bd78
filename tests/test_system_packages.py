"""scripts/system-packages: a no-op when all is there, apt-get as root, else one message and no change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-packages"


@pytest.fixture
def fake_bin(tmp_path):
    """A folder of stand-in programs, first on PATH; each records its calls in calls.log."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "calls.log"

    def program(name: str, body: str = "") -> None:
        path = folder / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\n{body}\n')
        path.chmod(0o755)

    def run(mode: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        result = subprocess.run(["/bin/sh", str(SCRIPT), mode], capture_output=True, text=True, timeout=30,
                                env={"PATH": f"{folder}:/usr/bin:/bin"}, check=False)
        return result, calls.read_text().splitlines() if calls.exists() else []

    program.run = run
    return program


def installed(*packages: str) -> str:
    lines = "\\n".join(f"ii  {p}" for p in packages)
    return f'printf "{lines}\\n"'


ALL = [
    "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fontconfig", "fonts-noto-core", "fonts-noto-cjk",
    "chromium", "poppler-utils", "postgresql", "redis-server",
]


def test_nothing_happens_when_everything_is_installed(fake_bin):
    fake_bin("dpkg-query", installed(*ALL))
    fake_bin("apt-get")
    result, calls = fake_bin.run("test")
    assert result.returncode == 0 and result.stdout == result.stderr == ""
    assert [c for c in calls if c.startswith("apt-get")] == []


def test_as_root_the_missing_packages_are_installed_with_apt_get(fake_bin):
    fake_bin("dpkg-query", installed(*[p for p in ALL if p not in ("chromium", "fonts-noto-cjk")]))
    fake_bin("apt-get")
    fake_bin("id", "echo 0")
    result, calls = fake_bin.run("test")
    assert result.returncode == 0, result.stderr
    assert "apt-get update -q" in calls
    assert "apt-get install -y -q --no-install-recommends fonts-noto-cjk chromium" in calls


def test_run_needs_only_what_certificates_need(fake_bin):
    fake_bin("dpkg-query", installed(*ALL[:6]))
    fake_bin("apt-get")
    result, calls = fake_bin.run("run")
    assert result.returncode == 0 and [c for c in calls if c.startswith("apt-get")] == []


def test_without_root_or_sudo_it_stops_with_the_one_command_to_run(fake_bin):
    fake_bin("dpkg-query", installed(*[p for p in ALL if p != "postgresql"]))
    fake_bin("apt-get")
    fake_bin("id", "echo 1000")
    fake_bin("sudo", "exit 1")  # asks for a password
    result, calls = fake_bin.run("test")
    assert result.returncode == 1
    assert ("sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "
            "--no-install-recommends postgresql") in result.stderr
    assert [c for c in calls if c.startswith("apt-get")] == []


def test_elsewhere_it_stops_before_doing_anything(fake_bin, tmp_path):
    result = subprocess.run(["/bin/sh", str(SCRIPT), "test"], capture_output=True, text=True, timeout=30,
                            env={"PATH": str(tmp_path)}, check=False)
    assert result.returncode == 1
    assert "not Debian or Ubuntu" in result.stderr and "LMS_SYSTEM_PACKAGES=skip make test" in result.stderr
