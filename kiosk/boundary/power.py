"""Operator commands that power the panel down and up (vcgencmd, wlr-randr, ...).

They run on short-lived threads with a timeout, so a hanging command never
stalls the render loop; a failure is logged and the show goes on. When the
kiosk stops, commands still running are ended and their threads joined, so
nothing outlives the show.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import threading
import time

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_SECONDS = 30


class DisplayPower:
    """Runs the schedule's display-off and display-on commands, one thread each."""

    def __init__(self, timeout: float = COMMAND_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._running: dict[threading.Thread, subprocess.Popen | None] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def run(self, command: str, purpose: str) -> threading.Thread | None:
        """Starts `command` (split like a shell would, but run without one); returns its thread."""
        if not command or self._stopping:
            return None
        thread = threading.Thread(target=self._run, args=(command, purpose), name=f"{purpose}-command", daemon=True)
        with self._lock:
            self._running[thread] = None
        thread.start()
        return thread

    def _run(self, command: str, purpose: str) -> None:
        me = threading.current_thread()
        try:
            process = subprocess.Popen(
                shlex.split(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        except (OSError, ValueError) as exc:
            self._finish(me, f"{purpose} command {command!r} failed: {exc}", warning=True)
            return
        with self._lock:
            self._running[me] = process
        try:
            out, err = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            self._finish(me, f"{purpose} command {command!r} took over {self.timeout:g} s and was ended", warning=True)
            return
        if self._stopping:
            self._finish(me, "", warning=False)
        elif process.returncode != 0:
            detail = (err or out).strip().splitlines()[-1:] or [""]
            self._finish(me, f"{purpose} command {command!r} exited with {process.returncode} {detail[0]}",
                         warning=True)
        else:
            self._finish(me, f"{purpose} command {command!r} done", warning=False)

    def _finish(self, thread: threading.Thread, message: str, warning: bool) -> None:
        with self._lock:
            self._running.pop(thread, None)
            stopping = self._stopping
        if message and not stopping:
            (log.warning if warning else log.info)("%s", message)

    def stop(self, timeout: float = 0.5) -> None:
        """Ends commands still running and joins their threads, within `timeout` seconds."""
        with self._lock:
            self._stopping = True
            running = dict(self._running)
        for process in running.values():
            if process is not None and process.poll() is None:
                process.kill()
        deadline = time.monotonic() + timeout
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
