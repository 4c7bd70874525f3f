"""Typed, frozen configuration: the defaults live here and nowhere else.

`parse_config(text)` validates once and returns a `Config`; every problem is
reported with its dotted key and, where YAML knows it, the line. Relative
paths resolve against the folder of the config file, so a box can keep its
config in /etc/kiosk and the demo in the repository.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
import shlex
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from kiosk import safeyaml
from kiosk.errors import ConfigError
from kiosk.schedule import ALL_DAY, Schedule, parse_dates, parse_hours
from kiosk.values import MAX_SECONDS, excerpt, number_problem

# A config file is a page of settings; anything near this size is a mistake or an attack.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_OVERLAY_CHARACTERS = 500
# Fonts for every script fit easily (Noto CJK is about 20 MB); /dev/zero does not.
MAX_FONT_BYTES = 64 * 1024 * 1024
# The caption band may take this share of the screen's height at most.
MAX_CAPTION_SHARE = 0.6

Colour = tuple[int, int, int]

def _find_assets() -> Path:
    """The assets folder: beside the package in a checkout, under the prefix when installed."""
    checkout = Path(__file__).resolve().parent.parent / "assets"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "kiosk" / "assets"


ASSETS_DIR = _find_assets()
DEFAULT_FONT = ASSETS_DIR / "fonts" / "NanumGothicBold.ttf"
# Drawn where the caption font lacks letters: Vietnamese with two diacritics, the dong sign, ...
FALLBACK_FONT = ASSETS_DIR / "fonts" / "NotoSans-Bold.ttf"


@dataclass(frozen=True)
class SlidesConfig:
    folder: Path = Path("slides")
    watch: str = "native"
    rescan_seconds: float = 60.0
    settle_seconds: float = 1.0


@dataclass(frozen=True)
class StateConfig:
    dir: Path = Path("state")
    play_log_max_megabytes: int = 16
    play_log_keep: int = 60


@dataclass(frozen=True)
class TimingConfig:
    contribute_seconds: float = 12.0
    answer_seconds: float = 8.0
    transition: str = "fade"
    transition_seconds: float = 1.0


@dataclass(frozen=True)
class PlaylistConfig:
    answers_per_contribute: int = 3
    order: str = "shuffle"
    new_first: bool = True
    seed: int | None = None


@dataclass(frozen=True)
class DisplayConfig:
    size: tuple[int, int] | None = None
    rotation: int = 0
    fit: str = "blur"
    background: Colour = (0, 0, 0)
    max_fps: int = 60
    renderer: str = "software"


@dataclass(frozen=True)
class CaptionsConfig:
    enabled: bool = True
    font: Path = DEFAULT_FONT
    size: float = 0.045
    color: Colour = (255, 255, 255)
    band_color: Colour = (0, 0, 0)
    band_opacity: float = 0.75
    max_lines: int = 4


@dataclass(frozen=True)
class OverlaysConfig:
    title: str = ""
    footer: str = ""


@dataclass(frozen=True)
class DecodingConfig:
    max_pixels: int = 50_000_000
    cache_megabytes: int = 64


@dataclass(frozen=True)
class ScheduleConfig:
    hours: tuple[tuple[tuple[int, int], ...], ...] = ALL_DAY
    dates: tuple[dt.date | None, dt.date | None] = (None, None)
    timezone: str = ""
    off_slide: Path | None = None
    display_off_command: str = ""
    display_on_command: str = ""

    # Cached: the render loop asks for both on every pass, 60 times a second in a fade.
    @functools.cached_property
    def schedule(self) -> Schedule:
        return Schedule(self.hours, self.dates[0], self.dates[1])

    @functools.cached_property
    def zone(self) -> dt.tzinfo | None:
        """The schedule's time zone; None means the box's own."""
        return ZoneInfo(self.timezone) if self.timezone else None


@dataclass(frozen=True)
class SyncConfig:
    url: str = ""
    interval_seconds: float = 300.0
    jitter_seconds: float = 60.0
    token_file: Path | None = None
    ca_bundle: Path | None = None
    max_file_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 4 * 1024 * 1024 * 1024
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 30.0
    retries: int = 3
    min_kilobytes_per_second: int = 20
    reserve_megabytes: int = 64


@dataclass(frozen=True)
class HeartbeatConfig:
    url: str = ""
    interval_seconds: float = 60.0


@dataclass(frozen=True)
class BoxConfig:
    name: str = field(default_factory=socket.gethostname)


@dataclass(frozen=True)
class Config:
    slides: SlidesConfig = SlidesConfig()
    state: StateConfig = StateConfig()
    timing: TimingConfig = TimingConfig()
    playlist: PlaylistConfig = PlaylistConfig()
    display: DisplayConfig = DisplayConfig()
    captions: CaptionsConfig = CaptionsConfig()
    overlays: OverlaysConfig = OverlaysConfig()
    decoding: DecodingConfig = DecodingConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    sync: SyncConfig = SyncConfig()
    heartbeat: HeartbeatConfig = HeartbeatConfig()
    box: BoxConfig = field(default_factory=BoxConfig)
    source: Path | None = None

    def seconds_for(self, kind: str) -> float:
        """How long a slide of this kind stays when its sidecar does not say."""
        if kind == "answer":
            return self.timing.answer_seconds
        return self.timing.contribute_seconds


# --- value checkers: each returns the converted value or raises ValueError ---

Checker = Callable[[Any, Path], Any]


def _seconds(high: float = MAX_SECONDS, allow_zero: bool = False) -> Checker:
    """A finite number of seconds: > 0 (or >= 0) and at most `high`."""

    def check(value: Any, _base: Path) -> float:
        problem = number_problem(value, 0, high, low_open=not allow_zero, what="a number of seconds")
        if problem:
            raise ValueError(problem)
        return float(value)

    return check


_positive_number = _seconds()
_non_negative_number = _seconds(allow_zero=True)


def _integer(low: int, high: int | None = None) -> Checker:
    def check(value: Any, _base: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {excerpt(value)}")
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"from {low} to {high}"
            raise ValueError(f"must be {bound}, got {excerpt(value)}")
        return value

    return check


def _optional_integer(value: Any, base: Path) -> int | None:
    return None if value is None else _integer(0)(value, base)


def _fraction(low: float, high: float) -> Checker:
    def check(value: Any, _base: Path) -> float:
        problem = number_problem(value, low, high)
        if problem:
            raise ValueError(problem)
        return float(value)

    return check


def _choice(*allowed: Any) -> Checker:
    def check(value: Any, _base: Path) -> Any:
        if isinstance(value, bool) or value not in allowed:
            names = ", ".join(str(a) for a in allowed)
            raise ValueError(f"must be one of {names}, got {excerpt(value)}")
        return value

    return check


def _boolean(value: Any, _base: Path) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {excerpt(value)}")
    return value


def _text(value: Any, _base: Path) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {excerpt(value)}")
    if len(value) > MAX_OVERLAY_CHARACTERS:
        raise ValueError(f"is {len(value):,} characters, over the limit of {MAX_OVERLAY_CHARACTERS}")
    return value.strip("\n")


def _hours(value: Any, _base: Path) -> Any:
    return parse_hours(value)


def _dates(value: Any, _base: Path) -> Any:
    return parse_dates(value)


def _timezone(value: Any, _base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be an IANA time zone name like Asia/Seoul, got {excerpt(value)}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {excerpt(value)}; use an IANA name like Asia/Seoul") from None
    return value.strip()


def _command(value: Any, _base: Path) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be a command line, got {excerpt(value)}")
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ValueError(f"cannot be split into words: {exc}") from None
    return value.strip()


def _url(value: Any, _base: Path) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value.strip()):
        raise ValueError(f"must be an http:// or https:// URL, got {excerpt(value)}")
    return value.strip()


def _name(value: Any, _base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty name, got {excerpt(value)}")
    return value.strip()


def _path(value: Any, base: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a path, got {excerpt(value)}")
    if "\0" in value:
        raise ValueError(f"must be a path without NUL bytes, got {excerpt(value)}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _font(value: Any, base: Path) -> Path:
    """A font file: a regular file of sensible size (a device or FIFO would hang or eat memory)."""
    path = _path(value, base)
    try:
        stat = path.stat()
    except OSError:
        return path  # a missing font falls back to the default at draw time, with a warning
    import stat as stat_module

    if not stat_module.S_ISREG(stat.st_mode):
        raise ValueError(f"must be a font file, but {excerpt(str(path))} is not a regular file")
    if stat.st_size > MAX_FONT_BYTES:
        raise ValueError(f"{excerpt(str(path))} is {stat.st_size:,} bytes, over the limit of {MAX_FONT_BYTES:,} for a font")
    return path


_SIZE_TEXT = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(value: Any) -> tuple[int, int]:
    """Turns `[1920, 1080]` or `"1920x1080"` into a (width, height) pair."""
    if isinstance(value, str) and (match := _SIZE_TEXT.match(value)):
        pair: Any = [int(match.group(1)), int(match.group(2))]
    else:
        pair = value
    if (
        not isinstance(pair, (list, tuple))
        or len(pair) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and 16 <= n <= 16384 for n in pair)
    ):
        raise ValueError(f"must be [width, height] in pixels (16 to 16384) or \"WxH\", got {excerpt(value)}")
    return (pair[0], pair[1])


def _optional_size(value: Any, _base: Path) -> tuple[int, int] | None:
    return None if value is None else parse_size(value)


_HEX_COLOUR = re.compile(r"^#([0-9a-fA-F]{6})$")


def parse_colour(value: Any) -> Colour:
    """Turns `"#1a2b3c"` or `[26, 43, 60]` into an RGB triple."""
    if isinstance(value, str) and (match := _HEX_COLOUR.match(value.strip())):
        digits = match.group(1)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 255 for n in value)
    ):
        return (value[0], value[1], value[2])
    raise ValueError(f"must be a colour like \"#1a2b3c\" or [26, 43, 60], got {excerpt(value)}")


def _colour(value: Any, _base: Path) -> Colour:
    return parse_colour(value)


# One rule per key. The section and key names are the dataclass field names,
# so a key cannot exist here without a default there (a test checks both ways).
RULES: dict[str, dict[str, Checker]] = {
    "slides": {
        "folder": _path,
        "watch": _choice("native", "poll"),
        "rescan_seconds": _positive_number,
        "settle_seconds": _seconds(3600),
    },
    "state": {
        "dir": _path,
        "play_log_max_megabytes": _integer(1, 4096),
        "play_log_keep": _integer(1, 10000),
    },
    "timing": {
        "contribute_seconds": _positive_number,
        "answer_seconds": _positive_number,
        "transition": _choice("fade", "cut"),
        "transition_seconds": _seconds(60, allow_zero=True),
    },
    "playlist": {
        "answers_per_contribute": _integer(0, 1000),
        "order": _choice("shuffle", "sorted"),
        "new_first": _boolean,
        "seed": _optional_integer,
    },
    "display": {
        "size": _optional_size,
        "rotation": _choice(0, 90, 180, 270),
        "fit": _choice("contain", "cover", "blur"),
        "background": _colour,
        "max_fps": _integer(5, 240),
        "renderer": _choice("software", "auto", "gpu"),
    },
    "captions": {
        "enabled": _boolean,
        "font": _font,
        "size": _fraction(0.01, 0.2),
        "color": _colour,
        "band_color": _colour,
        "band_opacity": _fraction(0.0, 1.0),
        "max_lines": _integer(1, 12),
    },
    "overlays": {"title": _text, "footer": _text},
    "decoding": {
        "max_pixels": _integer(1_000_000, 1_000_000_000),
        "cache_megabytes": _integer(16, 65536),
    },
    "schedule": {
        "hours": _hours,
        "dates": _dates,
        "timezone": _timezone,
        "off_slide": _path,
        "display_off_command": _command,
        "display_on_command": _command,
    },
    "sync": {
        "url": _url,
        "interval_seconds": _positive_number,
        "jitter_seconds": _non_negative_number,
        "token_file": _path,
        "ca_bundle": _path,
        "max_file_bytes": _integer(1024, 1 << 40),
        "max_total_bytes": _integer(1024, 1 << 44),
        "connect_timeout_seconds": _seconds(3600),
        "read_timeout_seconds": _seconds(3600),
        "retries": _integer(0, 10),
        "min_kilobytes_per_second": _integer(1, 1_000_000),
        "reserve_megabytes": _integer(0, 1_000_000),
    },
    "heartbeat": {"url": _url, "interval_seconds": _positive_number},
    "box": {"name": _name},
}

# Keys whose empty value means "use the default" (the box's own screen size,
# the bundled font, the host name, a seed from the box name).
_NULL_MEANS_DEFAULT = {
    "size", "font", "name", "seed", "hours", "dates", "timezone", "off_slide", "token_file", "ca_bundle",
}

_SECTION_CLASSES = {
    "slides": SlidesConfig,
    "state": StateConfig,
    "timing": TimingConfig,
    "playlist": PlaylistConfig,
    "display": DisplayConfig,
    "captions": CaptionsConfig,
    "overlays": OverlaysConfig,
    "decoding": DecodingConfig,
    "schedule": ScheduleConfig,
    "sync": SyncConfig,
    "heartbeat": HeartbeatConfig,
    "box": BoxConfig,
}


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}"


def parse_config(text: str, base_dir: Path, source: str = "config.yaml") -> Config:
    """Validates config text and returns the frozen Config, or raises ConfigError."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{source}: {len(text):,} characters is over the limit of {MAX_CONFIG_BYTES:,} for a config file"])
    try:
        root = safeyaml.compose(text)
    except safeyaml.YamlRefused as exc:
        where = f"{source}:{exc.line}" if exc.line is not None else source
        raise ConfigError([f"{where}: {exc.reason}"]) from None

    if root is None:
        return Config(source=Path(source))
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping of sections"])

    problems: list[str] = []
    sections: dict[str, dict[str, Any]] = {}
    for key_node, value_node in root.value:
        section = str(key_node.value)[:60]
        line = key_node.start_mark.line + 1
        if section not in RULES:
            problems.append(f"{source}:{line}: {section}: {_unknown(section, list(RULES))}")
            continue
        if section in sections:
            problems.append(f"{source}:{line}: {section}: section given twice")
            continue
        sections[section] = {}
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # an empty section means "all defaults"
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(f"{source}:{line}: {section}: must be a mapping of keys")
            continue
        rules = RULES[section]
        for item_key, item_value in value_node.value:
            name = str(item_key.value)[:60]
            item_line = item_key.start_mark.line + 1
            dotted = f"{section}.{name}"
            if name not in rules:
                problems.append(f"{source}:{item_line}: {dotted}: {_unknown(name, list(rules))}")
                continue
            if name in sections[section]:
                problems.append(f"{source}:{item_line}: {dotted}: key given twice")
                continue
            try:
                value = safeyaml.construct(item_value)
                if value is None and name in _NULL_MEANS_DEFAULT:
                    continue
                sections[section][name] = rules[name](value, base_dir)
            except safeyaml.YamlRefused as exc:
                problems.append(f"{source}:{item_line}: {dotted}: {exc.reason}")
            except ValueError as exc:
                problems.append(f"{source}:{item_line}: {dotted}: {exc}")

    problems += _cross_checks(sections, source)
    if problems:
        raise ConfigError(problems)

    parts = {name: _SECTION_CLASSES[name](**values) for name, values in sections.items()}
    config = Config(source=Path(source), **parts)
    return resolve_paths(config, base_dir, explicit=sections)


def _cross_checks(sections: dict[str, dict[str, Any]], source: str) -> list[str]:
    """Rules between keys: settings each valid alone that together break the screen."""
    captions = sections.get("captions", {})
    size = captions.get("size", CaptionsConfig.size)
    lines = captions.get("max_lines", CaptionsConfig.max_lines)
    # Each caption line takes about 1.3 times the letter size, plus the band's padding.
    share = size * (lines * 1.3 + 1.0)
    if share > MAX_CAPTION_SHARE:
        return [
            f"{source}: captions.size {size:g} with captions.max_lines {lines} would take {share:.0%} of the screen's "
            f"height; together they may take at most {MAX_CAPTION_SHARE:.0%} (lower one of them)"
        ]
    return []


def resolve_paths(config: Config, base_dir: Path, explicit: dict[str, dict[str, Any]] | None = None) -> Config:
    """Makes default relative paths absolute against the config's folder."""
    explicit = explicit or {}
    slides = config.slides
    if "folder" not in explicit.get("slides", {}):
        slides = dataclasses.replace(config.slides, folder=base_dir / config.slides.folder)
    state = config.state
    if "dir" not in explicit.get("state", {}):
        state = dataclasses.replace(config.state, dir=base_dir / config.state.dir)
    return dataclasses.replace(config, slides=slides, state=state)


# Settings read once at start; a running kiosk logs that they wait for a restart.
NEEDS_RESTART = {
    "slides.folder", "slides.watch", "slides.rescan_seconds", "slides.settle_seconds",
    "state.dir", "display.size", "display.renderer", "playlist.seed", "box.name",
    *(f"sync.{key}" for key in ("url", "interval_seconds", "jitter_seconds", "token_file", "ca_bundle",
                                 "max_file_bytes", "max_total_bytes", "connect_timeout_seconds",
                                 "read_timeout_seconds", "retries", "min_kilobytes_per_second",
                                 "reserve_megabytes")),
    "heartbeat.url", "heartbeat.interval_seconds",
}


def config_changes(old: Config, new: Config) -> list[tuple[str, object, object]]:
    """Every key whose value differs, as (dotted key, old value, new value)."""
    changes = []
    for section in RULES:
        old_part, new_part = getattr(old, section), getattr(new, section)
        for key in RULES[section]:
            before, after = getattr(old_part, key), getattr(new_part, key)
            if before != after:
                changes.append((f"{section}.{key}", before, after))
    return changes


def load_config(path: Path) -> Config:
    """Reads and validates a config file; a missing file is a ConfigError too."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})"]) from None
    return parse_config(text, path.resolve().parent, source=str(path))
