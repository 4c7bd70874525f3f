"""Real HTTP servers on loopback for the sync tests: nginx, and a server that injects faults."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kiosk.boundary.fleetpage import HEADER_POLICY


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
        temp = "\n".join(f"  {kind}_temp_path {self.work / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
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
        """Access log lines: 'METHOD PATH STATUS'."""
        try:
            lines = self.access_log.read_text().splitlines()
        except FileNotFoundError:
            return []
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

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
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

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/manifest.json"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fleet_nginx_conf(root: Path, listen: str, tokens: dict[str, str]) -> str:
    """The central server of docs/install.md: the published site, and /fleet/<box>/ that only <box> may write.

    Each box's bearer token (its sync.token_file) names it; a PUT into another
    box's folder, or without a token, is refused.
    """
    lines = "\n".join(f'    "Bearer {token}" "{box}";' for box, token in sorted(tokens.items()))
    return f"""
  map $http_authorization $uploader {{
    default "";
{lines}
  }}
  server {{
    listen {listen};
    root {root};
    location ~ /\\. {{ deny all; }}
    location /files/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    location = /manifest.json {{ add_header Cache-Control "no-cache"; }}
    location = /fleet.html {{ add_header Content-Security-Policy "{HEADER_POLICY}"; }}
    location ~ ^/fleet/(?<box>[^/]+)/[^/]+$ {{
      limit_except GET HEAD PUT {{ deny all; }}
      if ($request_method = PUT) {{ set $put_by "$uploader:$box"; }}
      if ($put_by ~ "^:") {{ return 401; }}
      if ($put_by ~ "^([^:]+):(?!\\1$)") {{ return 403; }}
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size 64m;
    }}
    location /fleet/ {{ autoindex on; autoindex_format json; }}
  }}
"""


class FleetNginx(Nginx):
    """nginx receiving the boxes' uploads (WebDAV PUT), each box into its own folder only."""

    def __init__(self, root: Path, tokens: dict[str, str]) -> None:
        self.root = root
        self.tokens = tokens
        super().__init__(root)

    def _server_block(self) -> str:
        return fleet_nginx_conf(self.root, f"127.0.0.1:{self.port}", self.tokens)
