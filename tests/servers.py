"""Real HTTP servers on loopback for the sync tests: nginx, and a server that injects faults."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kiosk.boundary.fleetpage import HEADER_POLICY


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing and can answer a status with a body."""

    def log_message(self, *_args) -> None:
        pass

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_on_loopback(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.ThreadingHTTPServer:
    """A threading server for `handler` on a free loopback port, already serving on a daemon thread."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def replace_served(path: Path, data: bytes) -> None:
    """Replaces a served file (by an attacker, or a replay) with a later mtime, so that its ETag changes."""
    before = path.stat().st_mtime
    path.write_bytes(data)
    os.utime(path, (before + 2, before + 2))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Nginx:
    """nginx serving a site folder, as a box's central server would."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.work = Path(tempfile.mkdtemp(prefix="kiosk-nginx-"))
        self.port = free_port()
        self.access_log = self.work / "access.log"
        user = "user root;" if os.geteuid() == 0 else ""
        temp = "\n".join(f"  {kind}_temp_path {self.work / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.work / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {self.work / 'nginx.pid'};
error_log {self.work / 'error.log'};
events {{ worker_connections 64; }}
http {{
  access_log {self.access_log} combined;
{temp}
  types {{ application/json json; text/html html; image/jpeg jpg; text/javascript js; text/css css; }}
  default_type application/octet-stream;
{self._server_block()}
}}
""")
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.work / "nginx.conf"), "-p", str(self.work)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def _server_block(self) -> str:
        return f"""
  server {{
    listen 127.0.0.1:{self.port};
    root {self.site};
    location ~ /\\. {{ deny all; }}
    location /files/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    location = /manifest.json {{ add_header Cache-Control "no-cache"; }}
  }}
"""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/manifest.json"

    def requests(self) -> list[str]:
        """Access log lines: 'METHOD PATH STATUS', once the log has been quiet for a moment.

        nginx logs a request after its response has gone, so a client can finish before its line is
        written: read once the log has not grown for 0.1 s (3 s at the most).
        """
        text, quiet_since, deadline = None, time.monotonic(), time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                now_text = self.access_log.read_text()
            except FileNotFoundError:
                now_text = ""
            if now_text != text:
                text, quiet_since = now_text, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.1:
                break
            time.sleep(0.02)
        lines = (text or "").splitlines()
        result = []
        for line in lines:
            request = line.split('"')[1]
            status = line.split('"')[2].split()[0]
            method, path = request.split()[:2]
            result.append(f"{method} {path} {status}")
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.work, ignore_errors=True)


class FaultServer:
    """Serves a site folder, misbehaving in the ways a test asks for.

    `faults` keys: manifest_status (int), manifest_body (bytes), manifest_gzip (gzip-encoded body),
    manifest_trickle / object_trickle (seconds per byte), endless (objects never end), object_status (int),
    cut_objects_after (bytes sent before the connection is dropped), cut_times (how many
    responses to cut; None = all), wrong_bytes (bool), slow_seconds (delay before answering),
    throttle (seconds per 16 KB chunk), need_token (str).
    """

    def __init__(self, site: Path) -> None:
        self.site = site
        self.faults: dict = {}
        self.seen: list[tuple[str, dict]] = []
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                faults = server.faults
                server.seen.append((self.path, dict(self.headers)))
                if faults.get("slow_seconds"):
                    time.sleep(faults["slow_seconds"])
                if faults.get("need_token") and self.headers.get("Authorization") != f"Bearer {faults['need_token']}":
                    self._reply(401, b"no")
                    return
                if self.path.endswith("manifest.json"):
                    if faults.get("manifest_trickle"):
                        self._trickle((server.site / "manifest.json").read_bytes(), faults["manifest_trickle"])
                    elif "manifest_gzip" in faults:
                        self.send_response(200)
                        self.send_header("Content-Encoding", "gzip")
                        self.send_header("Content-Length", str(len(faults["manifest_gzip"])))
                        self.end_headers()
                        self.wfile.write(faults["manifest_gzip"])
                    elif "manifest_status" in faults:
                        self._reply(faults["manifest_status"], b"oops")
                    elif "manifest_body" in faults:
                        self._reply(200, faults["manifest_body"])
                    else:
                        self._reply(200, (server.site / "manifest.json").read_bytes())
                    return
                if "object_status" in faults:
                    self._reply(faults["object_status"], b"oops")
                    return
                target = server.site / self.path.lstrip("/")
                if not target.is_file():
                    self._reply(404, b"not found")
                    return
                data = target.read_bytes()
                if faults.get("object_trickle"):
                    self._trickle(data, faults["object_trickle"])
                    return
                if faults.get("endless"):
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"\0" * 65536)
                    except OSError:
                        return
                if faults.get("wrong_bytes"):
                    data = bytes(reversed(data))
                start = 0
                status = 200
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes=") and not faults.get("ignore_range"):
                    start = int(ranged[6:].split("-")[0])
                    status = 206
                body = data[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                cut = faults.get("cut_objects_after")
                cut_times = faults.get("cut_times")
                if cut is not None and (cut_times is None or cut_times > 0):
                    if cut_times is not None:
                        faults["cut_times"] = cut_times - 1
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                for offset in range(0, len(body), 16384):
                    self.wfile.write(body[offset:offset + 16384])
                    if faults.get("throttle"):
                        time.sleep(faults["throttle"])

            def _trickle(self, body: bytes, seconds: float) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for index in range(len(body)):
                        self.wfile.write(body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(seconds)
                except OSError:
                    return

        self.httpd = serve_on_loopback(Handler)
        self.port = self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/manifest.json"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]{8,256}$")
_BOX_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# What a box uploads (kiosk.boundary.upload), and the most each may weigh: status.json is a
# few KB, screen.jpg 480 pixels wide, a play log at most the uploader's 64 MB.
FLEET_FILES = (
    (r"status\.json", "1m"),
    (r"screen\.jpg", "4m"),
    (r"play-[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[0-9]{1,4})?\.jsonl", "64m"),
)


def fleet_nginx_conf(root: Path, listen: str, tokens: dict[str, str]) -> str:
    """The central server of docs/install.md: the published site, and /fleet/<box>/ that only <box> may write.

    Each box's bearer token (its sync.token_file) names it, compared exactly
    (a `map` compares plain strings regardless of case, so each is an
    anchored, case-sensitive regular expression). A PUT without a token is
    refused with 401; into another box's folder, or of any name but the
    files a box uploads, with 403; over a file's size with 413; more than
    30 a minute from one box (past a burst of 120) with 429. Uploaded files
    are served as JSON, JPEG or bytes, never as a page of the site. A name ends with `\\z`, not `$`:
    nginx decodes `%0a` into the URI, and PCRE's `$` also matches before a last newline.
    """
    for box, token in tokens.items():
        if not _BOX_TEXT.match(box) or not _TOKEN_TEXT.match(token):
            raise ValueError(f"box names are letters, digits, '.', '_', '-'; tokens 8+ letters, digits, '_', '-': "
                             f"{box!r}")
    lines = "\n".join(f'    "~^Bearer {token}$" "{box}";' for box, token in sorted(tokens.items()))
    uploads = "\n".join(f"""    location ~ "^/fleet/[^/]+/{name}\\z" {{
      limit_except GET HEAD PUT {{ deny all; }}
      limit_req zone=uploads burst=120 nodelay;
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size {size};
    }}""" for name, size in FLEET_FILES)
    return f"""
  map $http_authorization $uploader {{
    default "";
{lines}
  }}
  map "$request_method:$uploader:$uri" $upload_refused {{
    "~^PUT::" 401;
    "~^PUT:(.+):/fleet/\\1/[^/]+$" "";
    "~^PUT:" 403;
    default "";
  }}
  map "$request_method:$uploader" $upload_box {{
    "~^PUT:(?<uploading_box>.+)$" $uploading_box;
    default "";
  }}
  limit_req_zone $upload_box zone=uploads:1m rate=30r/m;
  limit_req_status 429;
  server {{
    listen {listen};
    root {root};
    if ($upload_refused = 401) {{ return 401; }}
    if ($upload_refused = 403) {{ return 403; }}
    location ~ /\\. {{ deny all; }}
    location /files/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    location = /manifest.json {{ add_header Cache-Control "no-cache"; }}
    location = /fleet.html {{ add_header Content-Security-Policy "{HEADER_POLICY}"; }}
    location /fleet/ {{
      limit_except GET HEAD {{ deny all; }}
      autoindex on;
      autoindex_format json;
      types {{ application/json json; image/jpeg jpg; }}
      default_type application/octet-stream;
      add_header X-Content-Type-Options nosniff always;
      add_header Content-Security-Policy "default-src 'none'; sandbox" always;
      add_header Cache-Control "no-cache" always;
{uploads}
    }}
  }}
"""


class FleetNginx(Nginx):
    """nginx receiving the boxes' uploads (WebDAV PUT), each box into its own folder only.

    With `moved`, `/moved/...` answers 301 to the same path under `/`, as an
    http-to-https move or a renamed folder does.
    """

    def __init__(self, root: Path, tokens: dict[str, str], moved: bool = False) -> None:
        self.root = root
        self.tokens = tokens
        self.moved = moved
        super().__init__(root)

    def _server_block(self) -> str:
        block = fleet_nginx_conf(self.root, f"127.0.0.1:{self.port}", self.tokens)
        if self.moved:
            moved = f"    rewrite ^/moved/(.*)$ http://127.0.0.1:{self.port}/$1 permanent;\n"
            block = block.replace("    if ($upload_refused = 401)", moved + "    if ($upload_refused = 401)")
        return block
