"""Real server processes for the deployment tests: a ``chroma run`` server, free ports.

Also a tiny command line, so deployment scripts can stop and start the test's Chroma server
the way production's ``systemctl stop|start sinergi-chroma`` does::

    python -m tests.reliability.servers start PATH PORT
    python -m tests.reliability.servers stop PATH

The pid and the log live beside the data folder (``PATH.pid``, ``PATH.log``), never in it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

PORTS = range(30000, 31000)
"""Ports the tests' own servers use (the CI's PostgreSQL and Chroma are elsewhere).

Below Linux's ephemeral range (``net.ipv4.ip_local_port_range``, 32768-60999 by default): a
client that polls a port in that range before its server listens can be handed that very port
as its own source port and connect to itself (TCP simultaneous open), then read its own
request back as the answer ("BadStatusLine: GET /healthz/ready HTTP/1.1") while holding the
port the server is about to bind.
"""


def free_port() -> int:
    """A loopback port in ``PORTS`` that nobody listens on right now."""
    start = random.randrange(len(PORTS))
    for i in range(len(PORTS)):
        port = PORTS[(start + i) % len(PORTS)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _pid_file(path: Path) -> Path:
    return path.with_name(path.name + ".pid")


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited process nobody reaped yet does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until(condition: object, timeout: float, what: str) -> None:
    """Poll ``condition()`` (bounded) until it is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not reached within {timeout:.0f} s")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
            return True
    except (OSError, http.client.HTTPException):
        return False


def start(path: Path, port: int) -> int:
    """Start ``chroma run`` on ``path`` in its own session; wait until it answers."""
    path.mkdir(parents=True, exist_ok=True)
    chroma = Path(sys.executable).with_name("chroma")
    log = path.with_name(path.name + ".log").open("ab")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _pid_file(path).write_text(str(proc.pid))
    wait_until(lambda: _answers(port) or proc.poll() is not None, 90, "Chroma server")
    if proc.poll() is not None:
        raise RuntimeError(f"chroma run exited with {proc.returncode}")
    return proc.pid


def stop(path: Path) -> None:
    """Stop the server started on ``path`` (SIGTERM, then SIGKILL), if it runs."""
    pid_file = _pid_file(path)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not _alive(pid), 30, "Chroma server stop")
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not _alive(pid), 10, "Chroma server kill")
    pid_file.unlink(missing_ok=True)


class ChromaServer:
    """A ``chroma run`` server on ``path`` for the length of a ``with`` block."""

    def __init__(self, path: Path, port: int, *, start: bool = True) -> None:
        self.path = path
        self.port = port
        self._start = start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ChromaServer:
        if self._start:
            # Through the command line, as the deployment scripts do: the server is then no
            # child of this process, so any process can stop it.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.servers",
                    "start",
                    str(self.path),
                    str(self.port),
                ],
                check=True,
                cwd=Path(__file__).resolve().parents[2],
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stop(self.path)


def main(argv: list[str]) -> int:
    command, path = argv[0], Path(argv[1])
    if command == "start":
        start(path, int(argv[2]))
    elif command == "stop":
        stop(path)
    else:
        raise SystemExit(f"unknown command {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
