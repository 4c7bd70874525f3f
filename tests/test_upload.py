"""Uploads to the office: status, screenshot and rotated play logs PUT into the box's own WebDAV folder."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from kiosk.boundary import http
from kiosk.boundary.upload import UPLOADED_FILE, Uploader, is_folder_url
from kiosk.core.config import Config

from .servers import FleetNginx

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")
TOKENS = {"box-1": "one-secret", "box-2": "two-secret"}


@pytest.fixture
def server():
    root = Path(tempfile.mkdtemp(prefix="kiosk-fleet-"))
    root.chmod(0o755)
    (root / "fleet").mkdir()
    nginx = FleetNginx(root, TOKENS)
    yield nginx, f"http://127.0.0.1:{nginx.port}/fleet/"
    nginx.stop()
    shutil.rmtree(root, ignore_errors=True)


def state_folder(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    (state / "status.json").write_text('{"box": "box-1", "running": true}')
    (state / "screen.jpg").write_bytes(b"\xff\xd8 a jpeg")
    (state / "play-2026-12-18.jsonl").write_text('{"path": "answers/a.jpg"}\n')
    (state / "play.jsonl").write_text('{"path": "answers/b.jpg"}\n')  # today's: not rotated, not sent
    return state


def uploader(url, state, box="box-1", token="one-secret"):
    """An uploader as a box with a config of defaults has one, with short waits."""
    config = Config()
    return Uploader(url, box, state, http.Client((2, 5), token), config.heartbeat.interval_seconds,
                    config.sync.min_kilobytes_per_second * 1024)


def test_a_box_puts_its_status_screenshot_and_rotated_logs_into_its_own_folder(server, tmp_path):
    nginx, url = server
    state = state_folder(tmp_path)
    box = uploader(url, state)
    box.poll_once()
    folder = nginx.root / "fleet" / "box-1"
    assert sorted(p.name for p in folder.iterdir()) == ["play-2026-12-18.jsonl", "screen.jpg", "status.json"]
    assert json.loads((folder / "status.json").read_text())["running"] is True
    assert box.upload_problem is None
    # A rotated log goes once; the status and screenshot every round.
    box.poll_once()
    puts = [line for line in nginx.requests() if line.startswith("PUT")]
    assert sum("play-2026-12-18" in line for line in puts) == 1 and sum("status.json" in line for line in puts) == 2
    assert "play-2026-12-18.jsonl" in json.loads((state / UPLOADED_FILE).read_text())


def test_a_box_may_not_write_another_boxes_folder_nor_write_without_its_token(server, tmp_path):
    nginx, url = server
    state = state_folder(tmp_path)
    intruder = uploader(url, state, box="box-2", token="one-secret")  # box-1's token on box-2's folder
    intruder.poll_once()
    assert "HTTP 403" in intruder.upload_problem and not (nginx.root / "fleet" / "box-2").exists()
    anonymous = requests.put(f"{url}box-1/status.json", data=b"{}", timeout=5)
    assert anonymous.status_code == 401
    assert requests.delete(f"{url}box-1/status.json", headers={"Authorization": "Bearer one-secret"},
                           timeout=5).status_code in (403, 405)


def test_the_office_lists_the_boxes_as_json(server, tmp_path):
    nginx, url = server
    uploader(url, state_folder(tmp_path)).poll_once()
    listing = requests.get(url, timeout=5).json()
    assert [entry["name"] for entry in listing] == ["box-1"]
    files = {entry["name"] for entry in requests.get(f"{url}box-1/", timeout=5).json()}
    assert {"status.json", "screen.jpg"} <= files


def test_when_the_server_is_down_nothing_is_lost_and_it_is_said_once(tmp_path, caplog):
    from .servers import free_port

    state = state_folder(tmp_path)
    box = uploader(f"http://127.0.0.1:{free_port()}/fleet/", state)
    box.poll_once()
    box.poll_once()
    assert caplog.text.count("uploads to") == 1 and box.upload_problem
    assert not (state / UPLOADED_FILE).exists()  # the log is still to be sent


def test_folder_urls_are_for_uploads():
    assert is_folder_url("https://kiosk.example.org/fleet/") and not is_folder_url("https://example.org/beat")


def test_the_install_docs_show_the_configuration_the_tests_run():
    from .conftest import REPO
    from .servers import fleet_nginx_conf

    shown = fleet_nginx_conf(Path("/var/www/kiosk"), "80",
                             {"giant-box-1": "TOKEN-OF-giant-box-1", "tall-case-1": "TOKEN-OF-tall-case-1"})
    assert shown.strip("\n") in (REPO / "docs" / "install.md").read_text(encoding="utf-8")


def test_the_fleet_report_reads_the_uploaded_logs_over_http(server, tmp_path, capsys):
    from kiosk.app.cli import main

    nginx, url = server
    for box, token in TOKENS.items():
        state = tmp_path / box
        state.mkdir()
        (state / "play-2026-12-18.jsonl").write_text(
            '{"time": "2026-12-18T12:00:00.000+09:00", "path": "answers/a.jpg", "kind": "answer", "seconds": 8}\n')
        uploader(url, state, box=box, token=token).poll_once()
    assert main(["report", url, "--json", "--config", str(tmp_path / "none.yaml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["boxes"]) == ["box-1", "box-2"] and report["plaza"]["plays"] == 2
    assert report["fleet_fairness"]["most_screens"] == 2


@pytest.fixture
def moved_server():
    root = Path(tempfile.mkdtemp(prefix="kiosk-fleet-"))
    root.chmod(0o755)
    (root / "fleet").mkdir()
    nginx = FleetNginx(root, TOKENS, moved=True)
    yield nginx, f"http://127.0.0.1:{nginx.port}/moved/fleet/"
    nginx.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_an_upload_behind_a_redirect_fails_with_its_reason_and_wipes_nothing(moved_server, tmp_path):
    nginx, url = moved_server
    folder = nginx.root / "fleet" / "box-1"
    folder.mkdir()
    for name, data in (("status.json", b'{"box": "box-1"}'), ("screen.jpg", b"\xff\xd8 old"),
                       ("play-2026-12-18.jsonl", b'{"path": "answers/a.jpg"}\n')):
        (folder / name).write_bytes(data)  # what the office holds from before the move
    state = state_folder(tmp_path)
    box = uploader(url, state)
    box.poll_once()
    assert "redirected to http://127.0.0.1:" in box.upload_problem
    assert "uploads do not follow redirects" in box.upload_problem
    assert {p.name: p.stat().st_size for p in folder.iterdir()} == {
        "status.json": 16, "screen.jpg": 6, "play-2026-12-18.jsonl": 26}
    assert [line for line in nginx.requests() if "/fleet/" in line and "/moved/" not in line] == []
    assert not (state / UPLOADED_FILE).exists()  # the log is still to be sent, to the right URL


class GzipFleetNginx(FleetNginx):
    """The documented configuration on a server that also compresses JSON and bytes (a common nginx tuning)."""

    def _server_block(self) -> str:
        return ("  gzip on; gzip_types application/json application/octet-stream; gzip_min_length 1;\n"
                + super()._server_block())


def test_an_upload_is_confirmed_by_a_server_that_compresses_what_it_serves(tmp_path):
    root = Path(tempfile.mkdtemp(prefix="kiosk-fleet-"))
    root.chmod(0o755)
    (root / "fleet").mkdir()
    nginx = GzipFleetNginx(root, TOKENS)
    try:
        state = state_folder(tmp_path)
        box = uploader(f"http://127.0.0.1:{nginx.port}/fleet/", state)
        box.poll_once()
        assert box.upload_problem is None  # a compressed HEAD has no length: the box asks for the bytes as they are
        assert "play-2026-12-18.jsonl" in json.loads((state / UPLOADED_FILE).read_text())
    finally:
        nginx.stop()
        shutil.rmtree(root, ignore_errors=True)


class LyingDav:
    """A loopback WebDAV stand-in that answers every PUT with 201 but keeps only `keep` bytes of it."""

    def __init__(self, keep: int) -> None:
        import http.server
        import threading

        self.files: dict[str, bytes] = {}
        store = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                store[self.path] = body[:keep]
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                self.send_response(200 if self.path in store else 404)
                self.send_header("Content-Length", str(len(store.get(self.path, b""))))
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/fleet/"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_log_counts_as_sent_only_when_the_server_holds_every_byte(tmp_path):
    server = LyingDav(keep=3)
    try:
        state = state_folder(tmp_path)
        box = uploader(server.url, state)
        box.poll_once()
        assert "status.json: the server holds 3 bytes, not the 33 bytes sent" in box.upload_problem
        assert not (state / UPLOADED_FILE).exists()
    finally:
        server.stop()
    honest = LyingDav(keep=1 << 30)
    try:
        box = uploader(honest.url, state)
        box.poll_once()
        assert box.upload_problem is None
        assert "play-2026-12-18.jsonl" in json.loads((state / UPLOADED_FILE).read_text())
        assert honest.files["/fleet/box-1/play-2026-12-18.jsonl"] == b'{"path": "answers/a.jpg"}\n'
    finally:
        honest.stop()


# --- the documented nginx configuration: each box writes only its own known files --------------

def put(url: str, data: bytes = b"{}", token: str | None = "one-secret", method: str = "PUT") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, data=data, headers=headers, timeout=5, allow_redirects=False).status_code


def test_a_token_is_compared_exactly(server):
    nginx, url = server
    assert put(f"{url}box-1/status.json", token="one-secret") == 201
    for near in ("ONE-SECRET", "One-secret", "one-secreT", "one-secret-and-more", "one-secre"):
        assert put(f"{url}box-1/status.json", token=near) == 401, near
    assert requests.put(f"{url}box-1/status.json", data=b"{}", timeout=5,
                        headers={"Authorization": "bearer one-secret"}).status_code == 401
    assert (nginx.root / "fleet" / "box-1" / "status.json").read_bytes() == b"{}"


def test_a_box_writes_only_its_own_known_files(server):
    nginx, url = server
    refused = [
        f"{url}box-2/status.json", f"{url}box-2/play-2026-12-18.jsonl",  # another box's
        f"{url}box-1/index.html", f"{url}box-1/fleet.html", f"{url}box-1/status.json.html", f"{url}box-1/x.svg",
        f"{url}box-1/play-2026-12-18.jsonl.html", f"{url}box-1/play-20261218.jsonl", f"{url}box-1/play.jsonl",
        f"{url}box-1/sub/status.json", f"{url}index.html", f"{url}box-1", f"{url}../fleet.html",
        # nginx decodes %0a into the URI, and a regex's $ also matches before a last newline
        f"{url}box-1/status.json%0a", f"{url}box-1/screen.jpg%0A", f"{url}box-1/play-2026-12-18.jsonl%0a",
        f"http://127.0.0.1:{nginx.port}/fleet.html", f"http://127.0.0.1:{nginx.port}/manifest.json",
        f"http://127.0.0.1:{nginx.port}/files/x.jpg",
    ]
    for target in refused:
        assert put(target) in (403, 405), target
    for method in ("DELETE", "MKCOL", "COPY", "MOVE", "POST"):
        assert put(f"{url}box-1/status.json", method=method) in (403, 405), method
    written = sorted(str(p.relative_to(nginx.root)) for p in nginx.root.rglob("*") if p.is_file())
    assert written == []
    for name in ("status.json", "screen.jpg", "play-2026-12-18.jsonl", "play-2026-12-18.12.jsonl"):
        assert put(f"{url}box-1/{name}") == 201, name


def test_each_file_has_its_size(server):
    nginx, url = server
    assert put(f"{url}box-1/status.json", b"x" * (2 << 20)) == 413
    assert put(f"{url}box-1/screen.jpg", b"x" * (5 << 20)) == 413
    assert put(f"{url}box-1/play-2026-12-18.jsonl", b"x" * (5 << 20)) == 201  # a day of plays is larger
    assert not (nginx.root / "fleet" / "box-1" / "status.json").exists()


def test_uploads_are_served_as_data_never_as_a_page(server):
    nginx, url = server
    assert put(f"{url}box-1/status.json", b'{"box": "<script>alert(1)</script>"}') == 201
    assert put(f"{url}box-1/play-2026-12-18.jsonl", b"<html><script>alert(1)</script>\n") == 201
    status = requests.get(f"{url}box-1/status.json", timeout=5)
    log = requests.get(f"{url}box-1/play-2026-12-18.jsonl", timeout=5)
    assert status.headers["Content-Type"] == "application/json"
    assert log.headers["Content-Type"] == "application/octet-stream"
    for response in (status, log, requests.get(f"{url}box-1/", timeout=5)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_box_cannot_write_without_end(server):
    nginx, url = server
    answers = [put(f"{url}box-1/status.json") for _ in range(200)]
    assert answers[0] == 201 and 429 in answers
    assert put(f"{url}box-2/status.json", token="two-secret") in (201, 204)  # another box is not held back


def test_a_state_file_linked_to_a_device_is_refused_not_read(server, tmp_path):
    nginx, url = server
    state = state_folder(tmp_path)
    (state / "play-2026-12-17.jsonl").symlink_to("/dev/zero")
    box = uploader(url, state)
    box.poll_once()
    assert "play-2026-12-17.jsonl: not a regular file (a FIFO, socket or device); not sent" in box.upload_problem
    assert not (nginx.root / "fleet" / "box-1" / "play-2026-12-17.jsonl").exists()
    assert (nginx.root / "fleet" / "box-1" / "status.json").exists()
