import os
import socket

import pytest

from kiosk.notify import SystemdNotifier


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


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


def test_watchdog_pings_every_half_timeout(listener):
    path, sock = listener
    clock = FakeClock()
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, clock=clock)
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
    assert SystemdNotifier({"NOTIFY_SOCKET": "@kiosk/notify"})._address == "\0kiosk/notify"


def test_unreachable_socket_warns_once(tmp_path, caplog):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "missing.sock")})
    for _ in range(3):
        notifier.status(f"s{_}")
    assert caplog.text.count("cannot notify systemd") == 1
    notifier.close()
