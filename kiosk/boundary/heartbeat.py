"""The heartbeat: the box's status POSTed to `heartbeat.url`, best effort, bounded in time.

Sent by the status writer's thread (kiosk.boundary.status), never by the
render loop. A failure is logged once, and again only once it works.
"""

from __future__ import annotations

import logging

import requests

from kiosk.boundary import http
from kiosk.core.errors import DeadlinePassed

log = logging.getLogger(__name__)


class Heartbeat:
    """POSTs a status dict as JSON to one URL through one `requests.Session`."""

    def __init__(self, url: str, session: requests.Session, timeout: tuple[float, float] = (10.0, 30.0),
                 verify: bool | str = True) -> None:
        self.url = url
        self.session = session
        self.timeout = timeout
        self.verify = verify
        self.failing = False

    def send(self, status: dict) -> bool:
        """True if the server took it; never raises, never takes longer than both timeouts together."""
        seconds = self.timeout[0] + self.timeout[1]
        try:
            with http.held_to(self.session, self.url, seconds) as deadline:
                response = self.session.post(self.url, json=status, timeout=self.timeout, verify=self.verify,
                                             allow_redirects=False)
                ok = 200 <= response.status_code < 300
                reason = f"HTTP {response.status_code}"
                target = http.redirect_target(response)
                if target is not None:  # following it would carry the token, and the status, elsewhere
                    reason += f" redirected to {target}; the heartbeat does not follow redirects"
                response.close()
                deadline.check()
        except (requests.RequestException, OSError, DeadlinePassed) as exc:
            ok, reason = False, type(exc).__name__
        if not ok and not self.failing:
            log.warning("heartbeat to %s failed: %s", self.url, reason)
        elif ok and self.failing:
            log.info("heartbeat to %s works again", self.url)
        self.failing = not ok
        return ok
