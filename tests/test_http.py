"""The one HTTP client: a total deadline, size caps, checked certificates, the token, no redirect followed."""

from __future__ import annotations

import threading
import time
import tomllib
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version

import pytest
import requests
from packaging.version import Version

from kiosk.boundary import http

from .conftest import REPO
from .servers import QuietHandler, free_port, serve_on_loopback
from .transport import Transport, response


# 512 MB of zeros in one gzip member, about 0.5 MB on the wire: urllib3 before 2.6 unpacks a whole
# member in one read, whatever size was asked (CVE-2025-66471), and before 2.7 on draining (CVE-2026-44432).
def _bomb(megabytes: int) -> bytes:
    """That many MB of zeros as one gzip member, made a MB at a time (never held unpacked)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    zeros = bytes(1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(megabytes)), packer.flush()])


BOMB = _bomb(512)


class _Bomb(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
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
    client = http.Client((5, 30))
    tracemalloc.start()
    try:
        with client.open("GET", bomb_url, 60) as reply, pytest.raises(http.Failure) as failure:
            reply.read(4 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        client.close()
    assert failure.value.kind == http.TOO_LARGE and str(failure.value) == "larger than 4,194,304 bytes"
    assert peak < 64 << 20, f"{peak:,} bytes held to read 4 MB"


def test_the_project_requires_a_urllib3_that_unpacks_only_what_is_asked():
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    floors = [Version(d.split(">=")[1].split(",")[0]) for d in dependencies if d.startswith("urllib3>=")]
    assert floors and floors[0] >= Version("2.7"), "pyproject.toml must require urllib3>=2.7"
    assert Version(version("urllib3")) >= floors[0]


class Site:
    """A loopback server: `/trickle` sends a byte every 0.2 s, `/slow-headers` never ends its headers,
    `/moved` redirects to `/here`, and every other path answers 200 with `body`. Each request is kept
    as (method, path, Authorization, User-Agent, body)."""

    def __init__(self, body: bytes = b"hello") -> None:
        self.seen: list[tuple[str, str, str | None, str | None, bytes]] = []
        self.stopping = threading.Event()
        site = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                site.seen.append((self.command, self.path, self.headers.get("Authorization"),
                                  self.headers.get("User-Agent"), sent))
                if self.path == "/moved":
                    self.send_response(301)
                    self.send_header("Location", "/here")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/trickle":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    while not site.stopping.wait(0.2):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                elif self.path == "/slow-headers":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    while not site.stopping.wait(0.2):
                        self.wfile.write(b"X-Slow: y\r\n")
                        self.wfile.flush()
                else:
                    self._reply(200, body if self.command != "HEAD" else b"")

            do_GET = do_POST = do_PUT = do_HEAD = _answer  # noqa: N815 - the http.server API

        self.httpd = serve_on_loopback(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site():
    server = Site()
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/trickle", "/slow-headers"])
def test_a_trickle_is_cut_off_at_the_total_deadline_though_each_byte_comes_in_time(site, path):
    client = http.Client((2, 2))
    started = time.monotonic()
    with pytest.raises(http.Failure) as failure, client.open("GET", site.url + path, 1.0) as reply:
        reply.read(1 << 20)
    assert failure.value.kind == http.DEADLINE and str(failure.value) == "took longer than 1 s"
    assert time.monotonic() - started < 5


def test_the_token_and_the_kiosk_go_with_each_request_and_a_body_arrives(site):
    client = http.Client((2, 5), "box-secret")
    answer = client.answer("PUT", site.url + "/status.json", 5, data=b"{}")
    assert isinstance(answer, http.Reply) and answer.ok and answer.redirect is None
    with client.open("GET", site.url + "/a", 5) as reply:
        assert reply.status == 200 and reply.read(5) == b"hello"
    method, path, token, agent, sent = site.seen[0]
    assert (method, path, token, sent) == ("PUT", "/status.json", "Bearer box-secret", b"{}")
    assert agent.startswith("kiosk/")
    with client.open("GET", site.url + "/a", 5) as reply, pytest.raises(http.Failure, match="larger than 4 bytes"):
        reply.read(4)


def test_a_redirect_is_an_answer_naming_where_it_points_unless_the_caller_follows_it(site):
    client = http.Client((2, 5), "box-secret")
    answer = client.answer("POST", site.url + "/moved", 5, json={"box": "b"})
    assert isinstance(answer, http.Reply) and not answer.ok and answer.status == 301 and answer.redirect == "/here"
    assert [(method, path) for method, path, *_ in site.seen] == [("POST", "/moved")]
    with client.open("GET", site.url + "/moved", 5, follow_redirects=True) as reply:
        assert reply.status == 200 and reply.read(5) == b"hello"
    assert [(method, path) for method, path, *_ in site.seen[1:]] == [("GET", "/moved"), ("GET", "/here")]


def test_no_answer_is_a_network_failure_and_a_deadline_already_past_sends_nothing(site):
    client = http.Client((2, 5))
    refused = client.answer("POST", f"http://127.0.0.1:{free_port()}/beat", 5)
    assert isinstance(refused, http.Failure) and refused.kind == http.NETWORK and refused.name == "ConnectionError"
    past = client.deadline(0)
    late = client.answer("GET", site.url + "/a", past)
    assert isinstance(late, http.Failure) and late.kind == http.DEADLINE and site.seen == []


def test_certificates_are_checked_with_the_bundle_given_on_every_request():
    transport = Transport(lambda request: response(request, 204))
    client = http.Client((3, 7), ca_bundle="/etc/kiosk/ca.pem", session=transport.session())
    assert client.answer("HEAD", "https://fleet.example.org/x", 5).ok
    assert transport.sent[0]["verify"] == "/etc/kiosk/ca.pem" and transport.sent[0]["timeout"] == (3, 7)
    assert http.Client((3, 7), session=transport.session()).answer("HEAD", "https://fleet.example.org/x", 5).ok
    assert transport.sent[1]["verify"] is True  # never off: the system's


def test_the_environment_neither_replaces_the_certificates_nor_sends_requests_through_a_proxy(monkeypatch, site):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/elsewhere/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/elsewhere/ca.pem")
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    transport = Transport(lambda request: response(request, 204))
    assert http.Client((3, 7), session=transport.session()).answer("HEAD", "https://fleet.example.org/x", 5).ok
    assert transport.sent[0]["verify"] is True and transport.sent[0]["proxies"] == {}
    client = http.Client((2, 5))  # the session the client makes for itself
    with client.open("GET", site.url + "/a", 5) as reply:
        assert reply.status == 200 and reply.read(5) == b"hello"


def test_a_certificate_refused_is_a_tls_failure_in_the_libraries_words():
    def refuse(_request):
        raise requests.exceptions.SSLError("certificate verify failed: self-signed certificate " + "x" * 200)

    client = http.Client((3, 7), session=Transport(refuse).session())
    failure = client.answer("GET", "https://fleet.example.org/manifest.json", 5)
    assert isinstance(failure, http.Failure) and failure.kind == http.TLS
    assert str(failure).startswith("certificate verify failed") and len(str(failure)) == 120
