"""HTTP with a total deadline and size caps: what a hostile server's compressed body can cost."""

from __future__ import annotations

import threading
import tomllib
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version

import pytest
from packaging.version import Version

from kiosk.boundary import http

from .conftest import REPO

# 512 MB of zeros in one gzip member, about 0.5 MB on the wire: urllib3 before 2.6 unpacks a whole
# member in one read, whatever size was asked (CVE-2025-66471), and before 2.7 on draining (CVE-2026-44432).
def _bomb(megabytes: int) -> bytes:
    """That many MB of zeros as one gzip member, made a MB at a time (never held unpacked)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    zeros = bytes(1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(megabytes)), packer.flush()])


BOMB = _bomb(512)


class _Bomb(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(BOMB)))
        self.end_headers()
        self.wfile.write(BOMB)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bomb_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bomb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/log"
    server.shutdown()
    server.server_close()


def test_a_gzip_bomb_is_cut_off_at_the_cap_without_unpacking_it(bomb_url):
    session = http.new_session()
    tracemalloc.start()
    try:
        with http.held_to(session, bomb_url, 60) as deadline:
            with session.get(bomb_url, timeout=(5, 30), stream=True, allow_redirects=False) as response:
                with pytest.raises(http.BodyTooLarge):
                    http.read_limited(response, 4 << 20, deadline, "the log")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        session.close()
    assert peak < 64 << 20, f"{peak:,} bytes held to read 4 MB"


def test_the_project_requires_a_urllib3_that_unpacks_only_what_is_asked():
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    floors = [Version(d.split(">=")[1].split(",")[0]) for d in dependencies if d.startswith("urllib3>=")]
    assert floors and floors[0] >= Version("2.7"), "pyproject.toml must require urllib3>=2.7"
    assert Version(version("urllib3")) >= floors[0]
