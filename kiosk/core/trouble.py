"""Say it once: a failure that comes back every round is logged when it starts, and again when it heals.

A full disk fails every status write, a server that is down fails every
heartbeat: logged each time, they would bury the log. One `Trouble` per
thing that can fail decides when to speak, and holds the present failure
for status.json. It decides and logs; it does no other I/O.
"""

from __future__ import annotations

import logging


class Trouble:
    """One thing that may fail again and again, said once when it starts to fail and once when it heals.

    `problem` is the present failure, for status.json; None while it works.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.problem: str | None = None

    def failed(self, problem: str, said: str | None = None, traceback: bool = False) -> bool:
        """Records a failure; True if it is new and was said (`said`, else the problem itself).

        With `traceback` (called while an exception is handled) the line is an
        error with the traceback; otherwise a warning.
        """
        new = self.problem is None
        if new:
            line = said if said is not None else (
                f"{problem}; the show goes on, and this is said again only once it works")
            if traceback:
                self.logger.error("%s", line, exc_info=True)
            else:
                self.logger.warning("%s", line)
        self.problem = problem
        return new

    def worked(self, said: str) -> bool:
        """Records a success; True if it heals a failure, and then `said` is logged."""
        healed = self.problem is not None
        if healed:
            self.logger.info("%s", said)
        self.problem = None
        return healed
