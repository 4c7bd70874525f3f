"""The fleet file as a box receives it: read from the slide folder, checked, and the last good one kept.

Sync brings `fleet.yaml` into the slide folder like any published file. A
box applies it over its own config.yaml (kiosk.core.fleet). A file with any
problem is refused whole: the box keeps the last good one, which it also
keeps in `<state.dir>/fleet-applied.yaml` so that a restart does not lose it,
and says why in the log and in status.json. When the central file is
withdrawn, the box goes back to its own config alone.

One load reads config.yaml once and the fleet file once, both bounded
(`read_box_sources`), and makes the box's config from those texts
(`box_config_from`); `load_box_config` does both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from kiosk.boundary.configfile import checked_fleet, config_from_text, host_name, read_config_text
from kiosk.boundary.files import open_regular_file, write_atomically
from kiosk.core.catalogue import FLEET_FILE
from kiosk.core.config import MAX_CONFIG_BYTES, Config
from kiosk.core.errors import ConfigError, UnsafeFile
from kiosk.core.fleet import Fleet

log = logging.getLogger(__name__)

KEPT_FILE = "fleet-applied.yaml"


@dataclass(frozen=True)
class FleetState:
    """The fleet file in force (None: none), its version, and why the newest one was refused (empty: it wasn't)."""

    fleet: Fleet | None = None
    version: str | None = None
    refused: tuple[str, ...] = ()

    def status(self) -> dict:
        return {"version": self.version, "refused": list(self.refused)}


def read_text(path: Path) -> str | None:
    """A regular file's UTF-8 text, bounded; None if there is none. Raises ConfigError if it cannot be used."""
    try:
        with open_regular_file(path, follow_links=False) as handle:  # the sync only ever places regular files
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except UnsafeFile as exc:
        raise ConfigError([f"{path.name}: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{path.name}: cannot be read: {exc.strerror or exc}"]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path.name}: not UTF-8 text (byte {exc.start})"]) from None


@dataclass(frozen=True)
class BoxSources:
    """What one load of a box's config reads: config.yaml's text, the fleet file's, and the host name.

    `fleet` is None when there is no fleet file, or when it could not be read (`fleet_refused` says why).
    Two loads from equal sources make the same config.
    """

    config: str
    fleet: str | None = None
    fleet_refused: tuple[str, ...] = ()
    host: str = ""


def read_box_sources(path: Path, as_role: str | None = None, as_box: str | None = None) -> BoxSources:
    """Reads config.yaml once and the fleet file it leads to once, both bounded.

    ConfigError only when config.yaml itself cannot be read; a config.yaml that does not parse is read
    all the same (`box_config_from` says what is wrong with it), without a fleet file.
    """
    text = read_config_text(path)
    host = host_name()
    try:
        # Only to learn where the slide folder, and in it the fleet file, is: slides.folder is the box's own.
        local = config_from_text(path, text, as_role=as_role, as_box=as_box, host=host)
    except ConfigError:
        return BoxSources(text, host=host)
    try:
        return BoxSources(text, read_text(local.slides.folder / FLEET_FILE), host=host)
    except ConfigError as exc:
        return BoxSources(text, None, tuple(exc.problems), host=host)


def box_config_from(path: Path, sources: BoxSources, as_role: str | None = None,
                    as_box: str | None = None) -> tuple[Config, FleetState]:
    """The box's config made from `sources` (config.yaml at `path`), with the fleet file applied, and the
    fleet's state. ConfigError only for the box's own config.yaml: a fleet file that does not fit is
    refused (and said) instead."""
    local = config_from_text(path, sources.config, as_role=as_role, as_box=as_box, host=sources.host)
    state = fleet_state(sources.fleet, sources.fleet_refused, local.state.dir)
    if state.fleet is None:
        return local, state
    try:
        return config_from_text(path, sources.config, state.fleet, as_role, as_box, host=sources.host), state
    except ConfigError as exc:
        # The box's own file passed alone: the fleet file's settings are what does not fit, so say so.
        problems = tuple(problem if problem.startswith(FLEET_FILE) else f"{FLEET_FILE}: does not fit this box's "
                         f"own settings: {problem}" for problem in exc.problems)
        return local, FleetState(None, None, state.refused + problems)


def load_box_config(path: Path, as_role: str | None = None, as_box: str | None = None) -> tuple[Config, FleetState]:
    """The box's config with the fleet file applied, and the fleet's state: each file read once.

    ConfigError only for the box's own config.yaml: a fleet file that does not fit is refused (and said) instead.
    `as_role` and `as_box` show another box's config (`kiosk plan --role`).
    """
    return box_config_from(path, read_box_sources(path, as_role, as_box), as_role, as_box)


def load_fleet(slide_folder: Path, state_dir: Path) -> FleetState:
    """The fleet file to apply: the slide folder's if it is good, else the last good one kept."""
    try:
        text = read_text(slide_folder / FLEET_FILE)
    except ConfigError as exc:
        return fleet_state(None, tuple(exc.problems), state_dir)
    return fleet_state(text, (), state_dir)


def fleet_state(text: str | None, unreadable: tuple[str, ...], state_dir: Path) -> FleetState:
    """The fleet file to apply, from the slide folder's `text` (None: none; `unreadable`: why it could not be
    read): that one if it is good, else the last good one kept in `state_dir`."""
    kept = state_dir / KEPT_FILE
    if unreadable:
        return FleetState(*_kept(kept), refused=unreadable)
    try:
        if text is None:
            kept.unlink(missing_ok=True)  # withdrawn centrally: the box's own config alone
            return FleetState()
        fleet = checked_fleet(text)
    except ConfigError as exc:
        return FleetState(*_kept(kept), refused=tuple(exc.problems))
    except OSError as exc:
        return FleetState(*_kept(kept), refused=(f"{FLEET_FILE}: {exc}",))
    try:
        if _kept_text(kept) != text:
            write_atomically(kept, text)
    except OSError as exc:
        log.warning("cannot keep a copy of the fleet file in %s: %s", state_dir, exc)
    return FleetState(fleet, fleet.version)


def _kept_text(kept: Path) -> str | None:
    """The kept copy's text, bounded, never from what is not a regular file; None if there is none to use."""
    try:
        return read_text(kept)
    except ConfigError:
        return None


def _kept(kept: Path) -> tuple[Fleet | None, str | None]:
    try:
        text = read_text(kept)
        if text is None:
            return None, None
        fleet = checked_fleet(text)
    except (ConfigError, OSError):
        return None, None
    return fleet, fleet.version
