"""The heartbeat: the box's status POSTed to `heartbeat.url`, best effort, bounded in time.

Sent by the status writer's thread (kiosk.boundary.status), never by the
render loop, through the one HTTP seam (kiosk.boundary.http.Client). It
never follows a redirect: that would carry the token, and the status,
elsewhere. A failure is logged once, and again only once it works.
"""

from __future__ import annotations

import logging

from kiosk.boundary import http
from kiosk.core.trouble import Trouble

log = logging.getLogger(__name__)


class Heartbeat:
    """POSTs a status dict as JSON to one URL, every `interval_seconds`, through one client."""

    def __init__(self, url: str, client: http.Client, interval_seconds: float) -> None:
        self.url = url
        self.client = client
        self.interval_seconds = interval_seconds
        self.trouble = Trouble(log)

    def send(self, status: dict) -> bool:
        """True if the server took it; never raises, never takes longer than both timeouts together."""
        answer = self.client.answer("POST", self.url, sum(self.client.waits), json=status)
        if isinstance(answer, http.Failure):
            ok, reason = False, answer.name
        else:
            ok, reason = answer.ok, f"HTTP {answer.status}"
            if answer.redirect is not None:  # following it would carry the token, and the status, elsewhere
                reason += f" redirected to {answer.redirect}; the heartbeat does not follow redirects"
        if ok:
            self.trouble.worked(f"heartbeat to {self.url} works again")
        else:
            self.trouble.failed(reason, f"heartbeat to {self.url} failed: {reason}")
        return ok
