import http.server
import json
import threading

from kiosk.boundary import http as kiosk_http
from kiosk.boundary.heartbeat import Heartbeat
from kiosk.boundary.status import StatusWriter

STATUS = {
    "box": "plaza-1",
    "uptime_seconds": 12.5,
    "slides_shown": {"contribute": 3, "answer": 9},
    "content": {"contribute": 8, "answer": 26},
    "errors": {"unusable_files": {"answers/x.jpg": "empty file"}},
    "sync": {"last_success_unix": 1797000000, "failures": 2},
    "frames": {"fade_gap_seconds": {"0.5": 0.016, "0.9": 0.017, "0.99": 0.02}, "fade_gap_count": 120,
               "fade_gap_sum_seconds": 2.0, "late_frames": 1},
}


def test_writer_writes_both_files_atomically(tmp_path):
    writer = StatusWriter(tmp_path)
    writer.update(STATUS)
    writer.poll_once()
    assert json.loads((tmp_path / "status.json").read_text())["box"] == "plaza-1"
    assert (tmp_path / "kiosk.prom").read_text().startswith("# HELP kiosk_up")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.prom", "status.json"]


def test_heartbeat_posts_status_with_the_token(tmp_path):
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("Authorization"), json.loads(body)))
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = kiosk_http.Client((10, 30), "t0k")
        writer = StatusWriter(tmp_path, Heartbeat(f"http://127.0.0.1:{server.server_address[1]}/beat", client, 60))
        writer.update(STATUS)
        writer.poll_once()
        writer.poll_once()  # not due again yet
        assert len(received) == 1
        assert received[0][0] == "Bearer t0k" and received[0][1]["box"] == "plaza-1"
        client.close()
    finally:
        server.shutdown()
        server.server_close()


def test_failing_heartbeat_warns_once(tmp_path, caplog):
    from .servers import free_port

    clock = [0.0]
    client = kiosk_http.Client((10, 30))
    writer = StatusWriter(tmp_path, Heartbeat(f"http://127.0.0.1:{free_port()}/beat", client, 1),
                          clock=lambda: clock[0])
    writer.update(STATUS)
    for _ in range(3):
        writer.poll_once()
        clock[0] += 2
    assert caplog.text.count("heartbeat to") == 1
    client.close()


def test_a_running_kiosk_writes_status_and_keeps_showing_with_its_server_down(tmp_path, slide_folder):
    """sync.url points at nothing: the show goes on, status.json says why sync fails."""
    import signal
    import subprocess
    import sys
    import time

    from kiosk.boundary.playlog import read_play_log

    from .conftest import write_config
    from .servers import free_port

    body = (
        "timing:\n  contribute_seconds: 0.3\n  answer_seconds: 0.2\n  transition_seconds: 0.05\n"
        f"sync:\n  url: http://127.0.0.1:{free_port()}/manifest.json\n  interval_seconds: 0.5\n"
        "  jitter_seconds: 0\n  retries: 0\n  connect_timeout_seconds: 0.5\n"
    )
    config = write_config(tmp_path, body, slides=slide_folder)
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "96x54"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    status_path = tmp_path / "state" / "status.json"
    deadline = time.monotonic() + 30
    status = {}
    while time.monotonic() < deadline:
        if status_path.exists():
            status = json.loads(status_path.read_text())
            if status.get("sync", {}).get("failures", 0) >= 1 and status.get("slides_shown", {}).get("answer", 0) >= 2:
                break
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=5)
    assert process.returncode == 0, err
    assert status["sync"]["failures"] >= 1 and "unreachable" in status["sync"]["last_result"]
    assert status["content"] == {"contribute": 3, "answer": 4, "arriving": 0}
    assert status["on_screen"]["path"]
    assert len(read_play_log(tmp_path / "state")) >= 3
    assert err.count("sync failed") == 1  # logged once while it keeps failing the same way
    assert "kiosk_sync_failures_total" in (tmp_path / "state" / "kiosk.prom").read_text()
