"""What every helper thread of the kiosk shares: start, stop and join, and whether it runs.

The decode worker, the watchers, the sync client, the status writer and the
state recorder each run one loop on a daemon thread and talk to the render
loop through queues. A subclass writes its loop (`_run`) and how to wake it
for the end (`_ask_to_stop`); tests drive its `poll_once()` without a thread.
"""

from __future__ import annotations

import threading


class BackgroundThread:
    thread_name = "background"
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Asks the loop to end and waits up to `timeout` seconds for it."""
        self._ask_to_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._after_stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError

    def _ask_to_stop(self) -> None:
        raise NotImplementedError

    def _after_stop(self) -> None:
        """Runs on the stopping thread once the loop has ended (or was never started)."""
