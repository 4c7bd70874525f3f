"""What the commands share: exit codes, loading the config with every problem logged, the seed, sync settings."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.boundary.fleetfile import FleetState, load_box_config
from kiosk.boundary.state import default_seed
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import Config
from kiosk.core.errors import ConfigError

if TYPE_CHECKING:
    # Only for the annotation: fetch loads requests, which the commands without a network never need.
    from kiosk.boundary.fetch import SyncSettings

log = logging.getLogger("kiosk")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3  # a report printed without some of its sources, which it names


def load_box_or_log(path: Path, as_role: str | None = None, as_box: str | None = None
                    ) -> tuple[Config, FleetState] | None:
    """The box's config with the central fleet file applied, and the fleet's state; None after logging
    every problem of config.yaml with its key and line. A refused fleet file is logged, not fatal."""
    try:
        config, fleet = load_box_config(path, as_role, as_box)
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return None
    for problem in fleet.refused:
        log.error("fleet file refused: %s", problem)
    if fleet.refused:
        log.error("using the last good fleet file (%s) until the central one is fixed", fleet.version or "none")
    return config, fleet


def load_or_log(path: Path, as_role: str | None = None, as_box: str | None = None) -> Config | None:
    """The config (with the fleet file), or None after logging every problem with its key and line."""
    loaded = load_box_or_log(path, as_role, as_box)
    return None if loaded is None else loaded[0]


def seed_of(config: Config) -> int:
    return config.playlist.seed if config.playlist.seed is not None else default_seed(config.box.name)


def report_catalogue(catalogue: Catalogue) -> None:
    for problem in catalogue.problems:
        log.warning("%s", problem)


def sync_settings(config: Config) -> SyncSettings:
    """The sync settings, with the bearer token read from its file (never logged)."""
    from kiosk.boundary.fetch import SyncSettings

    token = ""
    if config.sync.token_file is not None:
        try:
            token = config.sync.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            log.warning("cannot read sync.token_file %s: %s; syncing without a token", config.sync.token_file, exc)
    return SyncSettings(
        url=config.sync.url or config.heartbeat.url,
        token=token,
        ca_bundle=str(config.sync.ca_bundle) if config.sync.ca_bundle else None,
        max_file_bytes=config.sync.max_file_bytes,
        max_total_bytes=config.sync.max_total_bytes,
        connect_timeout=config.sync.connect_timeout_seconds,
        read_timeout=config.sync.read_timeout_seconds,
        retries=config.sync.retries,
        min_bytes_per_second=config.sync.min_kilobytes_per_second * 1024,
        reserve_bytes=config.sync.reserve_megabytes * 1024 * 1024,
        root_key=str(config.sync.root_key) if config.sync.root_key else None,
        trust_unsynchronised_clock=config.sync.trust_unsynchronised_clock,
    )


def runtime_folder(config: Config) -> Path:
    """Where the files that change every few seconds go: `state.runtime_dir`, else systemd's
    RuntimeDirectory (in RAM, given as $RUNTIME_DIRECTORY), else the state folder."""
    if config.state.runtime_dir is not None:
        return config.state.runtime_dir
    given = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(given) if given and os.path.isabs(given) else config.state.dir
