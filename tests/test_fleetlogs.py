"""`kiosk report URL` against hostile servers: every box is read on its own, under one deadline and size caps."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from kiosk.app.cli import main
from kiosk.boundary import http as kiosk_http
from kiosk.boundary.fleetlogs import (
    WAITS, BoxUnreadable, FleetReader, FleetUnreadable, folder_boxes, folder_logs, log_order,
)

from .servers import FleetNginx, QuietHandler, serve_on_loopback

LINE = b'{"time": "2026-12-18T12:00:00.000+09:00", "path": "answers/a.jpg", "kind": "answer", "seconds": 8}\n'


def listing(*entries: tuple[str, str]) -> bytes:
    return json.dumps([{"name": name, "type": kind, "mtime": "Fri, 18 Dec 2026 03:00:00 GMT"}
                       for name, kind in entries]).encode()


class HostileServer:
    """Answers each path from `routes`: bytes (200), an int (that status), ("redirect", where),
    ("endless",), or ("trickle", seconds per byte). Stops by itself when the test does."""

    def __init__(self, routes: dict) -> None:
        self.routes = routes
        self.stopping = threading.Event()
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                route = server.routes.get(self.path, 404)
                try:
                    if isinstance(route, bytes):
                        self._reply(200, route)
                    elif isinstance(route, int):
                        self._reply(route, b"<html>oops</html>")
                    elif route[0] == "redirect":
                        self.send_response(301)
                        self.send_header("Location", route[1])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif route[0] == "endless":
                        self.send_response(200)
                        self.end_headers()
                        while not server.stopping.is_set():
                            self.wfile.write(b"[" * 65536 if self.path.endswith("/") else b"x" * 65536)
                    elif route[0] == "trickle":
                        self.send_response(200)
                        self.end_headers()
                        while not server.stopping.wait(route[1]):
                            self.wfile.write(b"{")
                            self.wfile.flush()
                except OSError:
                    return

        self.httpd = serve_on_loopback(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/fleet/"

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile():
    servers = []

    def start(routes: dict) -> HostileServer:
        servers.append(HostileServer(routes))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def report(url: str, tmp_path: Path, *more: str) -> int:
    return main(["report", url, "--json", "--config", str(tmp_path / "none.yaml"), *more])


def a_good_box(routes: dict, name: str = "box-good") -> None:
    routes[f"/fleet/{name}/"] = listing(("play-2026-12-18.jsonl", "file"), ("status.json", "file"))
    routes[f"/fleet/{name}/play-2026-12-18.jsonl"] = LINE * 3


@pytest.mark.parametrize("answer, words", [
    (500, "HTTP 500"),
    (404, "HTTP 404"),
    (("redirect", "/fleet/"), "redirected to /fleet/; the report does not follow redirects"),
    (("endless",), "larger than 4,194,304 bytes"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"boxes": ["box-1"]}', "not a JSON list"),
    (b'[{"name": ["box-1"], "type": "directory"}]', "text name"),
    (b"<html><body>the office page</body></html>", "index.html"),
    (b"[" + b",".join([b'{"name":"b","type":"directory"}'] * 200_000) + b"]", "larger than"),
])
def test_a_fleet_listing_that_cannot_be_read_is_an_error_with_its_reason(hostile, tmp_path, capsys, answer, words):
    server = hostile({"/fleet/": answer})
    assert report(server.url, tmp_path) == 1
    out, err = capsys.readouterr()
    assert words in err and "Traceback" not in err
    assert out == ""  # no report that says 0 plays


def test_each_broken_box_is_named_and_skipped_and_the_rest_is_counted(hostile, tmp_path, capsys):
    routes: dict = {}
    broken = {
        "box-500": ("/fleet/box-500/", 500),
        "box-page": ("/fleet/box-page/", b"<!doctype html><script>alert(1)</script>"),  # its index.html
        "box-loop": ("/fleet/box-loop/play-2026-12-18.jsonl", ("redirect", "/fleet/box-loop/play-2026-12-18.jsonl")),
        "box-endless": ("/fleet/box-endless/play-2026-12-18.jsonl", ("endless",)),
        "box-types": ("/fleet/box-types/", b'[{"name": "play-2026-12-18.jsonl", "type": 7}]'),
        "box-gone": ("/fleet/box-gone/play-2026-12-18.jsonl", 403),
        "box-many": ("/fleet/box-many/play-2026-12-18.jsonl", b"".join(
            LINE.replace(b"answers/a.jpg", f"answers/{n}.jpg".encode()) for n in range(50_001))),
    }
    for box, (path, answer) in broken.items():
        a_good_box(routes, box)
        routes[path] = answer
    a_good_box(routes)
    routes["/fleet/"] = listing(*((box, "directory") for box in [*broken, "box-good"]), ("stray.txt", "file"))
    server = hostile(routes)
    assert report(server.url, tmp_path, "--csv", str(tmp_path / "plays.csv")) == 3
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert list(result["boxes"]) == ["box-good"] and result["plaza"]["plays"] == 3
    unread = result["unread_boxes"]
    assert sorted(unread) == sorted(broken)
    assert "HTTP 500" in unread["box-500"] and "index.html" in unread["box-page"]
    assert "redirected to /fleet/box-loop/play-2026-12-18.jsonl" in unread["box-loop"]
    assert unread["box-endless"] == "play-2026-12-18.jsonl: larger than 67,108,864 bytes"
    assert "HTTP 403" in unread["box-gone"] and "text name and type" in unread["box-types"]
    assert unread["box-many"] == "its logs name more than 50,000 slides, days and kinds"
    assert "Traceback" not in err and err.count("left out of the report") == len(broken)
    # The text report says so, above the numbers.
    assert report(server.url, tmp_path, "--since", "2026-12-01") == 3
    capsys.readouterr()
    assert main(["report", server.url, "--config", str(tmp_path / "none.yaml")]) == 3
    text = capsys.readouterr().out
    assert "NOT COUNTED: 7 boxes could not be read:" in text and "box-500: its listing: HTTP 500" in text


def test_the_deadline_ends_a_trickle_and_names_every_box_it_left_unread(hostile, tmp_path, capsys):
    routes: dict = {}
    for box in ("box-a", "box-t", "box-z"):
        a_good_box(routes, box)
    routes["/fleet/box-t/play-2026-12-18.jsonl"] = ("trickle", 0.05)  # a byte every 50 ms, for ever
    routes["/fleet/"] = listing(("box-a", "directory"), ("box-t", "directory"), ("box-z", "directory"))
    server = hostile(routes)
    assert report(server.url, tmp_path, "--deadline", "2") == 3
    result = json.loads(capsys.readouterr().out)
    assert list(result["boxes"]) == ["box-a"]
    assert result["unread_boxes"] == {
        "box-t": "play-2026-12-18.jsonl: not read by the report's deadline of 2 s",
        "box-z": "its listing: not read by the report's deadline of 2 s",
    }


def test_a_deadline_that_passes_during_a_request_ends_it(hostile):
    server = hostile({"/fleet/": ("trickle", 0.05)})
    reader = FleetReader(server.url, kiosk_http.Client(WAITS), kiosk_http.Deadline(1.0))
    with pytest.raises(FleetUnreadable, match="deadline of 1 s"):
        reader.boxes()


def test_log_order_is_the_order_they_were_written():
    names = ["play.jsonl", "play-2026-12-19.jsonl", "play-2026-12-18.2.jsonl", "play-2026-12-18.jsonl",
             "play-2026-12-18.10.jsonl", "play-2026-13-40.jsonl", "index.html", "play-2026-12-18.1.jsonl"]
    assert log_order(names) == ["play-2026-12-18.jsonl", "play-2026-12-18.1.jsonl", "play-2026-12-18.2.jsonl",
                                "play-2026-12-18.10.jsonl", "play-2026-12-19.jsonl", "play.jsonl"]
    import datetime as dt

    assert log_order(names, since=dt.date(2026, 12, 19)) == ["play-2026-12-19.jsonl", "play.jsonl"]


def test_a_name_that_only_begins_like_a_play_log_is_none():
    # $ matches before a last newline; \d matches any script's digits: neither is a log the box wrote
    assert log_order(["play-2026-12-18.jsonl\n", "play-2026-12-18.\u0661.jsonl", "play.jsonl\n"]) == []


def test_a_folder_log_that_is_a_device_or_fifo_is_a_box_unreadable(tmp_path):
    import os

    box = tmp_path / "box-1"
    box.mkdir()
    (box / "play-2026-12-18.jsonl").symlink_to("/dev/zero")
    with pytest.raises(BoxUnreadable, match="not a regular file"):
        for lines in folder_logs(box):
            list(lines)
    os.mkfifo(box / "play-2026-12-19.jsonl")
    (box / "play-2026-12-18.jsonl").unlink()
    assert folder_boxes([tmp_path]) == [("box-1", box)]
    with pytest.raises(BoxUnreadable, match="not a regular file"):
        for lines in folder_logs(box):
            list(lines)


def test_a_box_that_uploaded_an_index_html_to_real_nginx_is_named_and_the_plaza_counted(tmp_path, capsys):
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="kiosk-fleet-"))
    root.chmod(0o755)
    try:
        for box in ("box-1", "box-2"):
            (root / "fleet" / box).mkdir(parents=True)
            (root / "fleet" / box / "play-2026-12-18.jsonl").write_bytes(LINE)
        # The old configuration let it through.
        (root / "fleet" / "box-2" / "index.html").write_text("<script>alert(1)</script>")
        nginx = FleetNginx(root, {"box-1": "one-secret"})
        try:
            assert report(f"http://127.0.0.1:{nginx.port}/fleet/", tmp_path) == 3
        finally:
            nginx.stop()
        result = json.loads(capsys.readouterr().out)
        assert list(result["boxes"]) == ["box-1"] and "index.html" in result["unread_boxes"]["box-2"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_deadline_is_a_positive_number_of_seconds(tmp_path, capsys):
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit):
            main(["report", "http://127.0.0.1:9/fleet/", "--deadline", bad])
    assert "not a number of seconds" in capsys.readouterr().err
