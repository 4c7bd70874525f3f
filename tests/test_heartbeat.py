"""The heartbeat: the status POSTed to one URL, never following a redirect (it would carry the token)."""

from __future__ import annotations

import http.server
import threading

import pytest

from kiosk.boundary import http as kiosk_http
from kiosk.boundary.heartbeat import Heartbeat


class Recorder:
    """Loopback server: `/beat` answers with `status` (and a Location to `/elsewhere`); every request is kept."""

    def __init__(self, status: int) -> None:
        self.seen: list[tuple[str, str, str | None]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.seen.append((self.command, self.path, self.headers.get("Authorization")))
                code = status if self.path == "/beat" else 200
                self.send_response(code)
                if code in (301, 302, 303, 307, 308):
                    self.send_header("Location", f"http://127.0.0.1:{recorder.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = _answer  # noqa: N815 - the http.server API

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_with_its_reason_and_the_token_goes_nowhere_else(status, caplog):
    server = Recorder(status)
    try:
        url = f"http://127.0.0.1:{server.port}/beat"
        beat = Heartbeat(url, kiosk_http.Client((2, 5), "box-secret"), 60)
        assert beat.send({"box": "box-1"}) is False
        assert server.seen == [("POST", "/beat", "Bearer box-secret")]
        assert f"HTTP {status} redirected to http://127.0.0.1:{server.port}/elsewhere" in caplog.text
        assert "does not follow redirects" in caplog.text
    finally:
        server.stop()


@pytest.mark.parametrize("status, ok", [(200, True), (204, True), (404, False), (500, False)])
def test_only_a_2xx_is_taken(status, ok):
    server = Recorder(status)
    try:
        url = f"http://127.0.0.1:{server.port}/beat"
        assert Heartbeat(url, kiosk_http.Client((2, 5)), 60).send({"box": "b"}) is ok
    finally:
        server.stop()
