import os
import socket

import pytest

from kiosk.boundary.notify import SystemdNotifier

from .conftest import FakeClock


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def test_messages_arrive_as_datagrams(listener):
    path, sock = listener
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
    notifier.ready("showing contribute/01.png")
    assert sock.recv(4096) == b"READY=1\nSTATUS=showing contribute/01.png"
    notifier.status("showing answers/a.jpg")
    notifier.status("showing answers/a.jpg")  # unchanged status is not resent
    notifier.stopping()
    assert sock.recv(4096) == b"STATUS=showing answers/a.jpg"
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.close()


def test_watchdog_pings_every_quarter_timeout(listener):
    path, sock = listener
    clock = FakeClock(0.0)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"}, clock=clock)
    assert notifier.watchdog_interval == 1.0
    notifier.ping_watchdog()
    clock.advance(0.5)
    notifier.ping_watchdog()  # too early
    clock.advance(0.5)
    notifier.ping_watchdog()
    sock.settimeout(0.2)
    assert [sock.recv(100), sock.recv(100)] == [b"WATCHDOG=1", b"WATCHDOG=1"]
    with pytest.raises(socket.timeout):
        sock.recv(100)
    notifier.close()


def test_pings_from_a_loop_waking_every_quarter_second_are_never_half_the_timeout_apart(listener):
    path, _sock = listener
    clock = FakeClock(0.0)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "15000000"}, clock=clock)
    pings = []
    notifier.send = lambda message: pings.append(clock.now) if message == "WATCHDOG=1" else None
    for _ in range(2000):  # the idle loop: one pass every 0.25 s, and a little late
        notifier.ping_watchdog()
        clock.advance(0.251)
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert max(gaps) <= 15.0 / 2


def test_watchdog_for_another_pid_is_ignored():
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "100", "WATCHDOG_PID": str(os.getpid() + 1)})
    assert notifier.watchdog_interval is None


def test_without_notify_socket_nothing_happens():
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    notifier.ready()
    notifier.ping_watchdog()
    notifier.stopping()


def test_abstract_socket_address():
    name = f"kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name})
        notifier.ready()
        assert sock.recv(100) == b"READY=1"
        notifier.close()
    finally:
        sock.close()


def test_unreachable_socket_warns_once(tmp_path, caplog):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "missing.sock")})
    for _ in range(3):
        notifier.status(f"s{_}")
    assert caplog.text.count("cannot notify systemd") == 1
    notifier.close()


def test_a_running_kiosk_speaks_the_protocol(tmp_path, slide_folder, listener):
    """READY after the first slide, WATCHDOG from the loop, STATUS per slide, STOPPING on SIGTERM."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import write_config

    path, sock = listener
    config = write_config(tmp_path, "timing:\n  contribute_seconds: 0.3\n  answer_seconds: 0.2\n", slides=slide_folder)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "96x54"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    messages = []
    sock.settimeout(10)
    try:
        while not any(m.startswith("READY=1") for m in messages):
            messages.append(sock.recv(4096).decode())
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            messages.append(sock.recv(4096).decode())
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=2)
    sock.settimeout(1)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except socket.timeout:
        pass
    assert process.returncode == 0, err
    ready = next(m for m in messages if m.startswith("READY=1"))
    assert "STATUS=showing contribute/c1.png" in ready
    # WATCHDOG_USEC 0.4 s: a ping at least every 0.2 s, so at least 5 in 1.5 s.
    assert messages.count("WATCHDOG=1") >= 5
    assert any(m.startswith("STATUS=showing answers/") for m in messages)
    assert messages[-1] == "STOPPING=1" or "STOPPING=1" in messages


def test_a_receiver_that_stops_reading_never_blocks_the_sender(listener):
    """The render loop sends these: a full socket queue must drop messages, not freeze the show."""
    import threading

    path, _sock = listener  # bound, never read
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
    done = threading.Event()

    def flood():
        for index in range(500):
            notifier.status(f"showing answers/{index}.jpg")
        done.set()

    threading.Thread(target=flood, daemon=True).start()
    assert done.wait(10), "sending blocked on a full socket"
    notifier.close()
