"""The saved rotation in `state.dir`: written atomically, read forgivingly.

A power cut in the middle of a write leaves the previous file intact
(temporary file, fsync, rename, fsync of the folder). A file that cannot be
read gives a warning and a fresh rotation, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.files import write_atomically
from kiosk.playlist import Rotation

log = logging.getLogger(__name__)

ROTATION_FILE = "rotation.json"


def default_seed(box_name: str) -> int:
    """A seed that differs between boxes but stays the same for one box."""
    return int.from_bytes(hashlib.sha256(box_name.encode("utf-8")).digest()[:4], "big")


@dataclass(frozen=True)
class SavedState:
    """What survives a restart: the rotation and the files known to be undecodable."""

    rotation: Rotation
    bad: dict[str, tuple[int, int]] = field(default_factory=dict)


class RotationStore:
    """Loads and saves the rotation in one folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ROTATION_FILE

    def load(self, seed: int) -> SavedState:
        """The saved state, or a fresh one (with a warning if the file was bad)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            rotation = Rotation.from_json(data["rotation"])
            bad = {str(p): (int(v[0]), int(v[1])) for p, v in data.get("bad", {}).items()}
        except FileNotFoundError:
            return SavedState(Rotation(seed=seed))
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            log.warning("saved rotation %s is unreadable (%s); starting a fresh rotation", self.path, exc)
            return SavedState(Rotation(seed=seed))
        return SavedState(rotation, bad)

    def save(self, state: SavedState) -> None:
        data = {
            "rotation": state.rotation.to_json(),
            "bad": {path: list(version) for path, version in sorted(state.bad.items())},
        }
        try:
            write_atomically(self.path, json.dumps(data, ensure_ascii=False))
        except OSError as exc:
            log.warning("cannot save the rotation to %s: %s", self.path, exc)
