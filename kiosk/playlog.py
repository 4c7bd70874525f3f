"""The play log: one JSON line per slide shown, in `<state.dir>/play.jsonl`."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

PLAY_LOG_FILE = "play.jsonl"


def play_record(start: dt.datetime, path: str, kind: str, seconds: float) -> dict:
    """The log line for a slide that began to appear at `start` (an aware datetime)."""
    return {
        "time": start.isoformat(timespec="milliseconds"),
        "path": path,
        "kind": kind,
        "seconds": seconds,
    }


class PlayLog:
    """Appends play records; a full or read-only disk costs the record, not the show."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / PLAY_LOG_FILE
        self._failed = False

    def append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
            self._failed = False
        except OSError as exc:
            if not self._failed:
                log.warning("cannot write the play log %s: %s", self.path, exc)
            self._failed = True


def read_play_log(folder: Path) -> list[dict]:
    """Every record of the play log, skipping a torn last line."""
    path = folder / PLAY_LOG_FILE
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
