"""systemd's notify protocol, spoken directly: one datagram on $NOTIFY_SOCKET.

`READY=1` once the first slide is on screen, `WATCHDOG=1` from the render
loop every quarter of $WATCHDOG_USEC, never half of it apart (so a hung loop is killed and
restarted), `STATUS=` with the slide on screen, `STOPPING=1` on the way out.
Without $NOTIFY_SOCKET every method does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable, Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends state changes to systemd; a no-op when not started by systemd."""

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace socket
        self._address = address or None
        self._socket: socket.socket | None = None
        self.watchdog_interval = _watchdog_interval(environ)
        self._last_ping = float("-inf")
        self._last_status = ""
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, message: str) -> None:
        if self._address is None:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                # Never wait: the render loop sends these, and a receiver that stops
                # reading would otherwise freeze the show once its queue is full.
                self._socket.setblocking(False)
            self._socket.sendto(message.encode("utf-8"), self._address)
        except BlockingIOError:
            if not self._warned:
                log.warning("systemd's notify socket is full; dropping messages until it drains")
                self._warned = True
        except OSError as exc:
            if not self._warned:  # once: a lost datagram must not flood the journal
                log.warning("cannot notify systemd at %s: %s", self._address.lstrip("\0"), exc)
                self._warned = True

    def ready(self, status: str = "") -> None:
        self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))
        self._last_status = status

    def status(self, text: str) -> None:
        if text != self._last_status:
            self._last_status = text
            self.send(f"STATUS={text}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def watchdog_due(self) -> bool:
        return self.watchdog_interval is not None and self.clock() - self._last_ping >= self.watchdog_interval

    def ping_watchdog(self) -> None:
        """Sends WATCHDOG=1 when a quarter of the watchdog timeout has passed since the last one.

        The loop asks at least every 0.25 s, so two pings are never more than
        half the timeout apart, as systemd's documentation asks.
        """
        if self.watchdog_due():
            self._last_ping = self.clock()
            self.send("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _watchdog_interval(environ: Mapping[str, str]) -> float | None:
    usec = environ.get("WATCHDOG_USEC")
    pid = environ.get("WATCHDOG_PID")
    if not usec:
        return None
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        # Meant for another process. Our parent is accepted: under cage the
        # service's main process is the compositor and the kiosk its child.
        return None
    try:
        return int(usec) / 1_000_000 / 4
    except ValueError:
        return None
