"""The config's sections, one frozen dataclass each: every key's rule, default, doc and flags on its field.

The one source of truth for the configuration: kiosk.core.config parses config.yaml into these, each
section runs its rules in its constructor (so a `Config` built in code is held to the same rules), and
`tools/config_reference.py` writes docs/configuration.md from the fields.
The YAML reader that checks each section and key by its field, for
config.yaml and the fleet file alike, is kiosk.core.sectionreader
(`read_sections`). Pure.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kiosk.core import rules
from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.errors import ConfigError
from kiosk.core.rules import Colour
from kiosk.core.schedule import ALL_DAY, DateSpan, Schedule, WeekHours


def setting(
    default: Any = dataclasses.MISSING,
    *,
    rule: rules.Rule,
    doc: str,
    restart: bool = False,
    empty_is_default: bool = False,
    shown: str | None = None,
    local_only: bool = False,
) -> Any:
    """A config key: its default, the rule its value follows, one line of docs, and whether it waits for a restart.

    `empty_is_default`: an empty value in the file (`key:`) means the default
    (the box's own screen size, the bundled font, the host name, ...).
    `shown`: how the reference shows the default, where the value itself would not say it well.
    `local_only`: only the box's own config.yaml may set it, never the central fleet.yaml: every key
    that runs a program, names a path on the box, decides where the box sends data or credentials,
    or spends the box's own disk, memory or hardware (docs/plaza.md says why for each kind).
    """
    metadata = {"rule": rule, "doc": doc, "restart": restart, "empty_is_default": empty_is_default, "shown": shown,
                "local_only": local_only}
    return field(default=default, metadata=metadata)


class Section:
    """A section of config.yaml; its constructor runs every key's rule (and converts the value)."""

    key_prefix = ""  # "timing." for TimingConfig: how messages name its keys
    # Declared, not set: @dataclass sets it on each section, and so mypy knows a section for a dataclass.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value is None and item.metadata["empty_is_default"]:
                continue
            try:
                checked = item.metadata["rule"](value)
            except ValueError as exc:
                raise ConfigError([f"{self.key_prefix}{item.name}: {exc}"]) from None
            object.__setattr__(self, item.name, checked)


SECONDS = rules.seconds()


@dataclass(frozen=True)
class SlidesConfig(Section):
    key_prefix = "slides."
    folder: Path = setting(Path("slides"), local_only=True, rule=rules.path, restart=True,
                           doc="the folder with `contribute/` and `answers/`. If missing at start, the fallback card "
                               "shows until it appears.")
    watch: str = setting("native", local_only=True, rule=rules.choice("native", "poll"), restart=True,
                         doc="`native`: the kernel reports changes (inotify); `poll`: look every second, for network "
                             "filesystems (NFS, SMB) where inotify sees nothing")
    rescan_seconds: float = setting(60.0, local_only=True, rule=SECONDS, restart=True,
                                    doc="a full rescan at this interval repairs any change a notification missed")
    settle_seconds: float = setting(1.0, local_only=True, rule=rules.seconds(3600), restart=True,
                                    doc="a new or changed file must keep its size and time this long before it is "
                                        "decoded and enters the rotation")


# The most play-log lines held at once; the ring of marks has room for twice as many (kiosk.boundary.marks).
MAX_LINES_PER_WRITE = 16


@dataclass(frozen=True)
class StateConfig(Section):
    key_prefix = "state."
    dir: Path = setting(Path("state"), local_only=True, rule=rules.path, restart=True,
                        doc="the rotation (`rotation.json` and `position.ring`, for resuming after a restart) and the "
                            "play log `play.jsonl`, whose lines also carry the rotation's place. Must be writable; one "
                            "kiosk per folder.")
    runtime_dir: Path | None = setting(None, local_only=True, rule=rules.optional(rules.path), restart=True,
                                       shown="empty",
                                       doc="the files that change every few seconds: `status.json`, `kiosk.prom`, "
                                           "`screen.jpg` and `decoding.json`. Keep it in RAM so that they never wear "
                                           "the SD card. Empty: systemd's `RuntimeDirectory=` (`/run/kiosk`, kept "
                                           "across restarts with `RuntimeDirectoryPreserve=restart`), else `state.dir`")
    # The play log is opened once at start, with these two: a change waits for the next start.
    play_log_max_megabytes: int = setting(16, local_only=True, rule=rules.integer(1, 4096), restart=True,
                                          doc="the play log starts a new file every day and when it reaches this size")
    play_log_keep: int = setting(60, local_only=True, rule=rules.integer(1, 10000), restart=True,
                                 doc="old play log files kept (`play-YYYY-MM-DD.jsonl`); older ones are deleted")
    play_log_lines_per_write: int = setting(
        16, local_only=True, rule=rules.integer(1, MAX_LINES_PER_WRITE), restart=True,
        doc="play-log lines written together (or once the oldest has waited five minutes). Each slide's line "
            "goes through to the disk at once as a mark in `position.ring` (one 512-byte sector), so a kill or a "
            "power cut loses none: the next start writes back any that were held. 1 writes each line at once, "
            "so that `play.jsonl` is current at every slide, at more writes to the SD card (docs/performance.md)")


@dataclass(frozen=True)
class TimingConfig(Section):
    key_prefix = "timing."
    contribute_seconds: float = setting(12.0, rule=SECONDS, doc="time on screen of a contribute slide")
    answer_seconds: float = setting(8.0, rule=SECONDS, doc="time on screen of an answer photo")
    transition: str = setting("fade", rule=rules.choice("fade", "cut"), doc="`fade` (crossfade) or `cut`")
    transition_seconds: float = setting(1.0, rule=rules.seconds(60, allow_zero=True),
                                        doc="length of the crossfade; it is part of the incoming slide's time")


@dataclass(frozen=True)
class PlaylistConfig(Section):
    key_prefix = "playlist."
    answers_per_contribute: int = setting(3, rule=rules.integer(0, 1000),
                                          doc="answers after each contribute slide (0 = contribute only)")
    order: str = setting("shuffle", rule=rules.choice("shuffle", "sorted"),
                         doc="`shuffle` (fair random order) or `sorted` (filename order); a change applies from the "
                             "next round, as the answers of the round under way keep the order they were dealt in")
    new_first: bool = setting(True, rule=rules.boolean,
                              doc="new answers dropped into the folder go to the front of the queue")
    seed: int | None = setting(None, rule=rules.optional(rules.integer(0)), restart=True, empty_is_default=True,
                               shown="empty",
                               doc="fixes the shuffle; empty derives it from `box.name` so neighbouring boxes differ")
    kinds: tuple[str, ...] = setting(("contribute", "answer"), rule=rules.kinds, shown="[contribute, answer]",
                                     doc="which kinds of slide this box shows: `[answer]` for a tall case of answers "
                                         "only, `[contribute]`, or both")
    include: tuple[str, ...] = setting((), rule=rules.globs, shown="[]",
                                       doc="show only slides whose path in the slide folder matches one of these "
                                           "POSIX patterns (`answers/seoul-*`); empty shows all")
    exclude: tuple[str, ...] = setting((), rule=rules.globs, shown="[]",
                                       doc="never show slides whose path matches one of these patterns")
    sync_group: str = setting("", rule=rules.optional_name,
                              doc="boxes of one group change slides at the same moments of the wall clock and show "
                                  "the same slide (the clocks need NTP; see docs/plaza.md); empty: on its own")
    sync_offset: int = setting(0, rule=rules.integer(0, 100_000),
                               doc="in a sync group, show the slide this many places further on: 0, 1, 2 along a "
                                   "row of boxes makes a wave")


@dataclass(frozen=True)
class DisplayConfig(Section):
    key_prefix = "display."
    size: tuple[int, int] | None = setting(None, local_only=True,
                                           rule=rules.optional(rules.size), restart=True, empty_is_default=True,
                                           shown="empty",
                                           doc="panel size `[width, height]`; empty uses the screen's own mode")
    rotation: int = setting(0, rule=rules.choice(0, 90, 180, 270),
                            doc="`0`, `90`, `180`, `270`: 90 turns the picture clockwise, for a panel mounted with its "
                                "right edge at the top; 270 for its left edge at the top")
    fit: str = setting("blur", rule=rules.choice("contain", "cover", "blur"),
                       doc="`contain` (whole picture, bars in the background colour), `cover` (fill, crop edges), "
                           "`blur` (whole picture over a blurred, dimmed copy of itself)")
    background: Colour = setting((0, 0, 0), rule=rules.colour, shown='"#000000"',
                                 doc="colour of bars and of the screen before the first slide "
                                     "(`\"#rrggbb\"` or `[r, g, b]`); a change colours the bars from the next slide, "
                                     "the empty screen (before the first slide, or off without an off slide) at the "
                                     "next start")
    max_fps: int = setting(60, local_only=True, rule=rules.integer(5, 240), doc="highest frame rate during a crossfade")
    renderer: str = setting("software", local_only=True, rule=rules.choice("software", "auto", "gpu"), restart=True,
                            doc="how frames reach the panel: `software` (blits on the CPU; keeps up at 1920×1080 on "
                                "two cores), `auto` (textures through SDL's accelerated renderer, the GPU, if the box "
                                "has one, else software), `gpu` (textures always, on SDL's software renderer where no "
                                "accelerated one exists)")
    audio: bool = setting(False, rule=rules.boolean,
                          doc="play the sound of video slides whose sidecar says `audio: true`, in time with the "
                              "picture (docs/video.md); off by default, as plaza boxes are silent. Set it per role "
                              "in fleet.yaml, for a screen at the ceremony, say; a change applies from the next "
                              "video")
    keys: bool = setting(False, local_only=True, rule=rules.boolean,
                         doc="operator keys on a keyboard plugged into the box: → and N next, ← and B previous, "
                             "Space and P pause, I the info box, Ctrl+Q quit. Off (the default), every key is "
                             "ignored, so a passer-by on the plaza cannot hold the show or end it; only a window's "
                             "close button (`--windowed`) still ends it")
    pause_seconds: float = setting(300.0, rule=rules.seconds(3600),
                                   doc="with the keys on, a pause ends by itself after this long, so a key pressed "
                                       "once never holds one slide for good")


@dataclass(frozen=True)
class CaptionsConfig(Section):
    key_prefix = "captions."
    enabled: bool = setting(True, rule=rules.boolean, doc="draw captions from sidecars")
    font: Path = setting(DEFAULT_FONT, local_only=True, rule=rules.path, empty_is_default=True, shown="empty",
                         doc="a TrueType/OpenType font for Hangul, the first a caption is drawn in; empty is the "
                             "bundled NanumGothic Bold. Latin, Cyrillic and Greek are drawn in the bundled Noto Sans "
                             "Bold, every other script in a Noto font of its own, Han in the system's Noto Sans CJK "
                             "(docs/content.md)")
    size: float = setting(0.045, rule=rules.fraction(0.01, 0.2),
                          doc="caption text height as a fraction of the screen's shorter side; about 49 px on a "
                              "1080-line screen")
    min_size: float = setting(0.032, rule=rules.fraction(0.01, 0.2), doc="the smallest a caption shrinks to "
                              "before anything of it is cut, as a fraction of the screen's shorter side (about 35 "
                              "px on a 1080-line screen); one larger than `size` counts as `size`")
    color: Colour = setting((255, 255, 255), rule=rules.colour, shown='"#FFFFFF"',
                            doc="text colour of captions, title and footer")
    band_color: Colour = setting((0, 0, 0), rule=rules.colour, shown='"#000000"',
                                 doc="colour of the band behind captions, title and footer")
    band_opacity: float = setting(0.75, rule=rules.fraction(0.0, 1.0), doc="opacity of that band")
    max_lines: int = setting(4, rule=rules.integer(1, 12),
                             doc="lines a caption may take on a landscape screen; a longer one is drawn smaller "
                                 "(down to `min_size`), then cut with `…`, each paragraph keeping a line")
    max_share: float = setting(0.35, rule=rules.fraction(0.1, 0.6), doc="the most of a landscape screen's height "
                               "the caption band may take")
    portrait_max_lines: int = setting(8, rule=rules.integer(1, 16), doc="lines a caption may take on a portrait "
                                      "screen (a tall case), where answers need more lines of fewer words")
    portrait_max_share: float = setting(0.4, rule=rules.fraction(0.1, 0.6), doc="the most of a portrait screen's "
                                        "height the caption band may take")


@dataclass(frozen=True)
class OverlaysConfig(Section):
    key_prefix = "overlays."
    title: str = setting("", rule=rules.overlay_text, shown="empty",
                         doc="text at the top of every **answer** slide (several lines allowed, "
                             "500 characters at most)")
    footer: str = setting("", rule=rules.overlay_text, shown="empty",
                          doc="text at the bottom of **every** slide (500 characters at most)")


@dataclass(frozen=True)
class DecodingConfig(Section):
    key_prefix = "decoding."
    max_pixels: int = setting(50_000_000, local_only=True, rule=rules.integer(1_000_000, 1_000_000_000),
                              doc="pictures with more pixels are refused before decoding (decompression bombs); 50 M "
                                  "covers 48 MP phone photos")
    cache_megabytes: int | None = setting(None, local_only=True,
                                          rule=rules.optional(rules.integer(16, 65536)), shown="empty",
                                          doc="memory for finished frames: the next slide's and those prepared "
                                              "ahead (and recently shown ones while there is room). Empty: room for "
                                              "two frames of the panel (17 MB at 1920×1080, 66 MB at 3840×2160)")


@dataclass(frozen=True)
class ScheduleConfig(Section):
    key_prefix = "schedule."
    hours: WeekHours = setting(ALL_DAY, rule=rules.hours, empty_is_default=True, shown="empty",
                               doc="when the screen shows slides: `\"07:00-23:00\"`, a list of ranges, or per weekday "
                                   "`{mon-fri: \"07:00-23:00\", sat-sun: \"09:00-01:00\"}` (unlisted days are off). A "
                                   "range ending before it starts runs past midnight and belongs to the day it starts. "
                                   "Empty = always. Until NTP has set the clock the schedule never blanks the screen")
    dates: DateSpan = setting((None, None), rule=rules.dates, empty_is_default=True, shown="empty",
                              doc="`[first day, last day]` of the campaign, e.g. `[2026-12-18, 2026-12-24]`; outside "
                                  "them the screen is off")
    timezone: str = setting("", rule=rules.timezone, empty_is_default=True, shown="empty",
                            doc="IANA zone of the hours, dates and sidecar times, e.g. `Asia/Seoul`; empty = the box's "
                                "own (`/etc/localtime`, with its daylight-saving rules)")
    off_slide: Path | None = setting(None, local_only=True,
                                     rule=rules.optional(rules.path), empty_is_default=True, shown="empty",
                                     doc="a picture shown while the screen is off, instead of black (black for the "
                                         "moment it takes to prepare); a change shows from the next time the screen "
                                         "turns off")
    display_off_command: str = setting("", local_only=True, rule=rules.command,
                                       doc="run when the screen turns off, e.g. `vcgencmd display_power 0` or "
                                           "`wlr-randr --output HDMI-A-1 --off`")
    display_on_command: str = setting("", local_only=True, rule=rules.command, doc="run when it turns on again")

    # Cached: the render loop asks for both on every pass, 60 times a second in a fade.
    @functools.cached_property
    def timetable(self) -> Schedule:
        """The hours and dates together: when the screen is on."""
        return Schedule(self.hours, self.dates[0], self.dates[1])


@dataclass(frozen=True)
class SyncConfig(Section):
    key_prefix = "sync."
    url: str = setting("", local_only=True, rule=rules.url, restart=True,
                       doc="the central server's `manifest.json`; empty = no sync")
    interval_seconds: float = setting(10.0, local_only=True, rule=SECONDS, restart=True,
                                      doc="how often to check the manifest (one conditional GET, a 304 when "
                                          "nothing changed): a withdrawn photo leaves the screen within 30 s")
    jitter_seconds: float = setting(5.0, local_only=True, rule=rules.seconds(allow_zero=True), restart=True,
                                    doc="plus a random delay of up to this, so a fleet does not arrive in the same "
                                        "second (a box with an empty folder syncs at once)")
    token_file: Path | None = setting(None, local_only=True,
                                      rule=rules.optional(rules.path), restart=True, empty_is_default=True,
                                      shown="empty", doc="file with a bearer token for the server (never logged)")
    ca_bundle: Path | None = setting(None, local_only=True,
                                     rule=rules.optional(rules.path), restart=True, empty_is_default=True,
                                     shown="empty", doc="CA bundle for a private CA; certificates are always checked")
    max_file_bytes: int = setting(1024 * 1024 * 1024, local_only=True, rule=rules.integer(1024, 1 << 40), restart=True,
                                  doc="a manifest naming a larger file is refused whole; a video's rendition is the "
                                      "largest file (docs/video.md)")
    max_total_bytes: int = setting(4 * 1024 * 1024 * 1024, local_only=True,
                                   rule=rules.integer(1024, 1 << 44), restart=True,
                                   doc="a manifest of more bytes in all is refused whole")
    connect_timeout_seconds: float = setting(10.0, local_only=True, rule=rules.seconds(3600), restart=True,
                                             doc="the longest wait to connect")
    read_timeout_seconds: float = setting(30.0, local_only=True, rule=rules.seconds(3600), restart=True,
                                          doc="the longest wait for the next bytes from the server")
    retries: int = setting(3, local_only=True, rule=rules.integer(0, 10), restart=True,
                           doc="tries after the first, backing off exponentially with jitter")
    min_kilobytes_per_second: int = setting(20, local_only=True, rule=rules.integer(1, 1_000_000), restart=True,
                                            doc="every request has a total deadline: a file gets connect + read "
                                                "timeout + its size at this rate, the manifest connect + read timeout "
                                                "+ 60 s; past it the connection is shut and the sync tried again at "
                                                "the next interval")
    reserve_megabytes: int = setting(64, local_only=True, rule=rules.integer(0, 1_000_000), restart=True,
                                     doc="left free on the disk: a sync that needs more than the free space less this "
                                         "is refused before it downloads anything")
    root_key: Path | None = setting(None, local_only=True, rule=rules.optional(rules.path), restart=True,
                                    empty_is_default=True,
                                    shown="empty",
                                    doc="the campaign's root public key (`root.pub` from `kiosk keys init`), in a "
                                        "file only root can write: only manifests signed under it are applied "
                                        "(docs/trust.md); empty = unsigned content is accepted")
    trust_unsynchronised_clock: bool = setting(False, local_only=True, rule=rules.boolean, restart=True,
                                               doc="refuse an expired manifest even before NTP has set the clock: "
                                                   "for a box with a battery-backed real-time clock")


@dataclass(frozen=True)
class HeartbeatConfig(Section):
    key_prefix = "heartbeat."
    url: str = setting("", local_only=True, rule=rules.url, restart=True,
                       doc="a folder URL ending in `/` (`https://kiosk.example.org/fleet/`): PUT status.json, "
                           "screen.jpg and the rotated play logs into `<url><box name>/` (WebDAV); any other URL: "
                           "POST status.json there. With the token and TLS rules of sync; empty = none")
    interval_seconds: float = setting(60.0, local_only=True, rule=SECONDS, restart=True, doc="how often")


@dataclass(frozen=True)
class BoxConfig(Section):
    key_prefix = "box."
    # The core reads no host name: the boundary passes it to parse_config, which puts it here when the file
    # leaves the name empty. "kiosk" is only for a Config built in code.
    name: str = setting("kiosk", local_only=True,
                        rule=rules.name, restart=True, empty_is_default=True,
                        shown="empty", doc="this box's name in logs and status, and the default shuffle seed; "
                                           "empty is the host name")
    role: str = setting("", local_only=True, rule=rules.optional_name, restart=True,
                        doc="this box's job in the plaza (`giant-box`, `tall-case`): fleet.yaml's settings for "
                            "the role apply over this file; empty: none")


@dataclass(frozen=True)
class Config:
    slides: SlidesConfig = field(default_factory=SlidesConfig)
    state: StateConfig = field(default_factory=StateConfig)
    timing: TimingConfig = field(default_factory=TimingConfig)
    playlist: PlaylistConfig = field(default_factory=PlaylistConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    captions: CaptionsConfig = field(default_factory=CaptionsConfig)
    overlays: OverlaysConfig = field(default_factory=OverlaysConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    heartbeat: HeartbeatConfig = field(default_factory=HeartbeatConfig)
    box: BoxConfig = field(default_factory=BoxConfig)
    source: Path | None = None

    def seconds_for(self, kind: str) -> float:
        """How long a slide of this kind stays when its sidecar does not say."""
        if kind == "answer":
            return self.timing.answer_seconds
        return self.timing.contribute_seconds


SECTIONS: dict[str, type[Section]] = {
    item.name: item.type if isinstance(item.type, type) else globals()[item.type]
    for item in dataclasses.fields(Config) if item.name != "source"
}


def keys(section: str) -> dict[str, dataclasses.Field[Any]]:
    """The keys of a section, by name, with their metadata."""
    return {item.name: item for item in dataclasses.fields(SECTIONS[section])}


def default(dotted: str) -> Any:
    """A key's default, from its field (`state.play_log_keep`): for code that must have one without a Config."""
    section, name = dotted.split(".")
    return keys(section)[name].default


# Settings read once at start; a running kiosk logs that they wait for a restart.
NEEDS_RESTART = frozenset(
    f"{section}.{name}" for section in SECTIONS for name, item in keys(section).items() if item.metadata["restart"]
)
# Settings only the box's own config.yaml may set: the fleet file that sets one is refused whole.
LOCAL_ONLY = frozenset(
    f"{section}.{name}" for section in SECTIONS for name, item in keys(section).items() if item.metadata["local_only"]
)
