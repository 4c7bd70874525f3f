"""What checking the manifest every 10 s costs the central server: conditional GETs against a real nginx.

    .venv/bin/python bench/takedown.py [--requests 20000] [--boxes 100] [--interval 10]

A box checks manifest.json with If-None-Match every `sync.interval_seconds`
(plus jitter); nothing changed means a 304 and no body. This sends
`--requests` such checks to nginx on loopback over keep-alive connections,
as the boxes' sessions do, and reads nginx's own CPU time from /proc and the
bytes on the wire. From those: the load of `--boxes` boxes checking every
`--interval` seconds. Writes bench/results/takedown.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.boundary.publish import publish
from tests.conftest import make_picture
from tests.servers import Nginx


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def nginx_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *(int(pid) for pid in children)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--boxes", type=int, default=100)
    parser.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args()
    if shutil.which("nginx") is None:
        print("nginx is not installed (apt-get install nginx-light)")
        return 1
    root = Path(tempfile.mkdtemp(prefix="kiosk-takedown-"))
    root.chmod(0o755)
    try:
        for index in range(200):  # a campaign's worth of answers: the manifest is their list
            make_picture(root / "source" / "answers" / f"answer-{index:03d}.jpg", size=(64, 48))
        publish(root / "source", root / "site")
        for path in (root / "site").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        server = Nginx(root / "site")
        try:
            etag = None
            with socket.create_connection(("127.0.0.1", server.port)) as probe:
                probe.sendall(b"GET /manifest.json HTTP/1.1\r\nHost: plaza\r\n\r\n")
                head = probe.recv(65536).decode("latin-1")
            for line in head.split("\r\n"):
                if line.lower().startswith("etag:"):
                    etag = line.split(":", 1)[1].strip()
            manifest_bytes = (root / "site" / "manifest.json").stat().st_size
            request = (f"GET /manifest.json HTTP/1.1\r\nHost: plaza\r\nUser-Agent: kiosk\r\n"
                       f"Accept-Encoding: gzip, deflate\r\nIf-None-Match: {etag}\r\n\r\n").encode()
            pids = nginx_pids(server.process.pid)
            before = cpu_seconds(pids)
            received = 0
            started = time.perf_counter()
            done = 0
            while done < args.requests:
                # nginx ends a keep-alive connection after 1,000 requests (keepalive_requests).
                with socket.create_connection(("127.0.0.1", server.port)) as connection:
                    for _ in range(min(500, args.requests - done)):
                        connection.sendall(request)
                        reply = b""
                        while b"\r\n\r\n" not in reply:
                            chunk = connection.recv(4096)
                            if not chunk:
                                raise ConnectionError("nginx closed the connection")
                            reply += chunk
                        assert reply.startswith(b"HTTP/1.1 304"), reply[:40]
                        received += len(reply)
                        done += 1
            elapsed = time.perf_counter() - started
            spent = cpu_seconds(pids) - before
        finally:
            server.stop()
        per_request_ms = 1000 * spent / args.requests
        rate = args.boxes / args.interval
        result = {
            "requests": args.requests,
            "answers_in_manifest": 200,
            "manifest_bytes": manifest_bytes,
            "request_bytes": len(request),
            "response_bytes": round(received / args.requests),
            "nginx_cpu_ms_per_check": round(per_request_ms, 4),
            "fleet": {
                "boxes": args.boxes, "interval_seconds": args.interval, "checks_per_second": rate,
                "nginx_cpu_percent_of_a_core": round(rate * per_request_ms / 10, 3),
                "bytes_per_second": round(rate * (len(request) + received / args.requests)),
                "without_conditional_get_bytes_per_second": round(rate * manifest_bytes),
            },
            "client_seconds": round(elapsed, 2),
        }
        print(json.dumps(result, indent=2))
        write_result(__file__, result)
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
