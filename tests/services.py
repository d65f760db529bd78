"""Throwaway PostgreSQL and Redis servers for a test session, where none answers at the configured address.

A newcomer's machine has the server binaries (`make test` installs them) but no server set up for
us, so the session starts its own on a free port in a temporary folder and stops it at the end.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: State for the whole session, kept here because tests/conftest.py may be imported twice under two names.
#: FOUND: service name -> URL in use, or the error that makes it unavailable.
FOUND: dict[str, str | Exception] = {}
#: Which server each service used, and which had to be done without (and why): the run's last lines.
USED: dict[str, str] = {}
MISSING: dict[str, str] = {}


class ServiceUnavailable(Exception):
    """No server answers and none could be started; the message says why and what to install."""


@dataclass
class Throwaway:
    """A server this session started: its URL, and how to stop it."""

    url: str
    folder: Path
    stop_command: list[str] | None = None
    process: subprocess.Popen | None = None
    run_as: dict = field(default_factory=dict)

    def stop(self) -> None:
        if self.stop_command:
            subprocess.run(self.stop_command, capture_output=True, check=False, timeout=60, **self.run_as)
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_program(name: str) -> str | None:
    """`name` on PATH, or in Debian's versioned PostgreSQL folder (newest version first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _unprivileged() -> dict:
    """subprocess arguments that drop root (PostgreSQL will not run as root); {} when not root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise ServiceUnavailable("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


def start_postgres() -> Throwaway:
    """initdb and start a PostgreSQL server on a free port; trust authentication, user `postgres`."""
    initdb, pg_ctl = find_program("initdb"), find_program("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServiceUnavailable("the PostgreSQL server programs (initdb, pg_ctl) are not installed: "
                                 "apt-get install postgresql")
    run_as = _unprivileged()
    folder = Path(tempfile.mkdtemp(prefix="lms-test-postgres-"))
    if run_as:
        os.chown(folder, run_as["user"], run_as["group"])
    data, log = folder / "data", folder / "server.log"
    port = free_port()
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    server = Throwaway(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", folder,
                       [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], run_as=run_as)
    steps = (
        [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
    )
    for command in steps:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120,
                                cwd=folder, **run_as)
        if result.returncode != 0:
            details = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
            if log.exists():
                details += log.read_text(errors="replace").strip().splitlines()[-2:]
            server.stop()
            raise ServiceUnavailable(f"could not start a throwaway PostgreSQL ({Path(command[0]).name}): "
                                     + " / ".join(details))
    return server


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """True if a Redis server answers PING at `url` (redis://host:port/db)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis() -> Throwaway:
    """Start redis-server on a free port, without persistence."""
    program = find_program("redis-server")
    if not program:
        raise ServiceUnavailable("redis-server is not installed: apt-get install redis-server")
    folder = Path(tempfile.mkdtemp(prefix="lms-test-redis-"))
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed program and arguments
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Throwaway(f"redis://127.0.0.1:{port}/0", folder, process=process)
    deadline = time.monotonic() + 20
    while not redis_answers(server.url, timeout=0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            log = folder / "redis.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            server.stop()
            raise ServiceUnavailable("could not start a throwaway redis-server: " + " / ".join(tail or ["no answer"]))
        time.sleep(0.05)
    return server
