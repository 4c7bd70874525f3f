"""Operator commands that power the panel down and up (vcgencmd, wlr-randr, ...).

They run on a short-lived thread with a timeout, so a hanging command never
stalls the render loop; a failure is logged and the show goes on.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import threading

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_SECONDS = 30


def run_in_background(command: str, purpose: str) -> threading.Thread | None:
    """Starts `command` (split like a shell would, but run without one); returns its thread."""
    if not command:
        return None

    def run() -> None:
        try:
            result = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("%s command %r failed: %s", purpose, command, exc)
            return
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
            log.warning("%s command %r exited with %d %s", purpose, command, result.returncode, detail[0])
        else:
            log.info("%s command %r done", purpose, command)

    thread = threading.Thread(target=run, name=f"{purpose}-command", daemon=True)
    thread.start()
    return thread
