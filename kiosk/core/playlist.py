"""The rotation: which slide comes next, as a pure function of state and time.

The pattern is one contribute slide, then `answers_per_contribute` answers,
then the next contribute slide in filename order. Answers come from a
shuffled bag: each is shown once before any repeats, and a refill never
starts with the answer that was just shown. The bag is shuffled with a seed
kept in the state, so `kiosk plan` and `kiosk run` agree slide for slide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Callable, Collection, TYPE_CHECKING

from kiosk.core.catalogue import Catalogue, Slide, natural_key
from kiosk.core.schedule import Schedule
from kiosk.core.sidecar import within_window
from kiosk.core.values import printable_name

if TYPE_CHECKING:
    from kiosk.core.config import Config

FALLBACK_PATH = "(fallback)"


@dataclass(frozen=True)
class PlaylistSettings:
    """The parts of the config that shape the sequence."""

    answers_per_contribute: int = 3
    order: str = "shuffle"
    new_first: bool = True
    contribute_seconds: float = 12.0
    answer_seconds: float = 8.0
    kinds: tuple[str, ...] = ("contribute", "answer")
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sync_group: str = ""
    sync_offset: int = 0
    role: str = ""


def playlist_settings(config: Config) -> PlaylistSettings:
    """The parts of a config that shape the sequence."""
    return PlaylistSettings(
        answers_per_contribute=config.playlist.answers_per_contribute,
        order=config.playlist.order,
        new_first=config.playlist.new_first,
        contribute_seconds=config.timing.contribute_seconds,
        answer_seconds=config.timing.answer_seconds,
        kinds=config.playlist.kinds,
        include=config.playlist.include,
        exclude=config.playlist.exclude,
        sync_group=config.playlist.sync_group,
        sync_offset=config.playlist.sync_offset,
        role=config.box.role,
    )


@dataclass(frozen=True)
class Rotation:
    """Where the show stands: everything needed to continue it exactly."""

    seed: int
    round: int = 0
    bag: tuple[str, ...] = ()
    seen: tuple[str, ...] = ()
    last_answer: str | None = None
    last_contribute: str | None = None
    answers_since_contribute: int | None = None
    last_override: str | None = None  # the override shown last, while overrides are in the folder

    def to_json(self) -> dict:
        return dataclasses.asdict(self) | {"bag": list(self.bag), "seen": list(self.seen)}

    @classmethod
    def from_json(cls, data: dict) -> "Rotation":
        """Rebuilds a rotation from `to_json()` output; raises ValueError if malformed."""
        try:
            rotation = cls(
                seed=int(data["seed"]),
                round=int(data.get("round", 0)),
                bag=tuple(str(p) for p in data.get("bag", ())),
                seen=tuple(str(p) for p in data.get("seen", ())),
                last_answer=_optional_str(data.get("last_answer")),
                last_contribute=_optional_str(data.get("last_contribute")),
                answers_since_contribute=_optional_int(data.get("answers_since_contribute")),
                last_override=_optional_str(data.get("last_override")),
            )
        except (KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"malformed rotation state: {str(exc)[:200]}") from None
        return rotation


@dataclass(frozen=True)
class SavedState:
    """What survives a restart: the rotation, and the files known not to decode in their present version."""

    rotation: Rotation
    unusable: dict[str, tuple[int, int]] = field(default_factory=dict)


def play_record(start: dt.datetime, path: str, kind: str, seconds: float) -> dict:
    """The log line for a slide that began to appear at `start` (an aware datetime)."""
    return {
        "time": start.isoformat(timespec="milliseconds"),
        "path": printable_name(path),
        "kind": kind,
        "seconds": seconds,
    }


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Entry:
    """One slide to show: what, of which kind, for how long, with which caption."""

    path: str
    kind: str
    seconds: float
    caption: str = ""
    version: tuple[int, int] = (0, 0)

    @property
    def is_fallback(self) -> bool:
        return self.kind == "fallback"


@dataclass(frozen=True)
class PlannedEntry:
    start: dt.datetime
    entry: Entry


def next_entry(
    rotation: Rotation,
    catalogue: Catalogue,
    settings: PlaylistSettings,
    now: dt.datetime,
    skip: Collection[str] = (),
) -> tuple[Entry, Rotation]:
    """Chooses the slide that starts at `now` and returns it with the new rotation.

    `skip` names slides known to be undecodable; they are passed over until
    the file changes. With nothing showable, the entry is the fallback slide.
    """
    contribute = [s for s in catalogue.contribute if s.path not in skip and within_window(s.meta, now)]
    per_round = settings.answers_per_contribute
    wants_contribute = (
        per_round == 0
        or rotation.answers_since_contribute is None
        or rotation.answers_since_contribute >= per_round
    )
    answers_available = _any_answer(catalogue, skip, now)
    if contribute and (wants_contribute or not answers_available):
        slide = _next_contribute(contribute, rotation.last_contribute)
        rotation = dataclasses.replace(rotation, last_contribute=slide.path, answers_since_contribute=0)
        return entry_for(slide, settings), rotation
    if answers_available and (per_round > 0 or not contribute):
        picked = _next_answer(rotation, catalogue, settings, now, skip)
        if picked is not None:
            slide, rotation = picked
            since = (rotation.answers_since_contribute or 0) + 1
            return entry_for(slide, settings), dataclasses.replace(rotation, answers_since_contribute=since)
    fallback = Entry(FALLBACK_PATH, "fallback", settings.contribute_seconds)
    return fallback, rotation


def plan(
    rotation: Rotation,
    catalogue: Catalogue,
    settings: PlaylistSettings,
    start: dt.datetime,
    count: int,
    skip: Collection[str] = (),
    schedule: Schedule | None = None,
    chooser: Callable[..., tuple[Entry, Rotation]] | None = None,
) -> tuple[list[PlannedEntry], Rotation]:
    """The next `count` entries with their start times; each starts as the previous ends.

    With a schedule, no entry starts while the screen is off: a slide cut
    short by the screen turning off is followed by the next one exactly
    when the screen turns on again. `chooser` is `next_entry` unless given
    (kiosk.core.plaza.choose adds overrides and sync groups).
    """
    planned: list[PlannedEntry] = []
    moment: dt.datetime | None = start
    for _ in range(count):
        if schedule is not None:
            moment = schedule.next_on(moment)
            if moment is None:
                break  # the schedule has ended: the screen stays off
        entry, rotation = (chooser or next_entry)(rotation, catalogue, settings, moment, skip)
        planned.append(PlannedEntry(moment, entry))
        end = moment + dt.timedelta(seconds=entry.seconds)
        if schedule is not None:
            off = schedule.next_off(moment)
            if off is not None and off < end:
                end = off
        moment = end
    return planned, rotation


def entry_for(slide: Slide, settings: PlaylistSettings) -> Entry:
    """The entry that shows this slide with these settings."""
    default = settings.answer_seconds if slide.kind == "answer" else settings.contribute_seconds
    seconds = slide.meta.seconds if slide.meta.seconds is not None else default
    return Entry(slide.path, slide.kind, seconds, slide.meta.caption, slide.version)


def _any_answer(catalogue: Catalogue, skip: Collection[str], now: dt.datetime) -> bool:
    return any(s.path not in skip and within_window(s.meta, now) for s in catalogue.answers)


def _next_contribute(eligible: list[Slide], last: str | None) -> Slide:
    """The first eligible slide after `last` in filename order, wrapping round."""
    if last is not None:
        last_key = natural_key(last)
        for slide in eligible:
            if natural_key(slide.path) > last_key:
                return slide
    return eligible[0]


def _next_answer(
    rotation: Rotation,
    catalogue: Catalogue,
    settings: PlaylistSettings,
    now: dt.datetime,
    skip: Collection[str],
) -> tuple[Slide, Rotation] | None:
    present = {s.path: s for s in catalogue.answers if s.path not in skip}
    if not present:
        return None
    if rotation.round > 0:
        rotation = _admit_new_answers(rotation, present, settings)
    for _attempt in range(2):
        for path in rotation.bag:
            slide = present.get(path)
            if slide is not None and within_window(slide.meta, now):
                bag = tuple(p for p in rotation.bag if p != path and p in present)
                seen = (*rotation.seen, path)
                return slide, dataclasses.replace(rotation, bag=bag, seen=seen, last_answer=path)
        # Every answer still in the bag is gone or out of its dates: new round.
        rotation = _refill(rotation, sorted(present, key=natural_key), settings)
    return None


def _refill(rotation: Rotation, paths: list[str], settings: PlaylistSettings) -> Rotation:
    round_number = rotation.round + 1
    bag = list(paths)
    if settings.order == "shuffle":
        random.Random(f"{rotation.seed}:{round_number}").shuffle(bag)
    if len(bag) > 1 and bag[0] == rotation.last_answer:
        # Never the same answer twice in a row across a refill.
        bag.append(bag.pop(0))
    return dataclasses.replace(rotation, round=round_number, bag=tuple(bag), seen=())


def _admit_new_answers(rotation: Rotation, present: dict[str, Slide], settings: PlaylistSettings) -> Rotation:
    """Puts answers that appeared since the bag was filled into this round."""
    known = set(rotation.bag)
    known.update(rotation.seen)
    # Only the new ones are sorted: this runs for every slide.
    new = sorted((p for p in present if p not in known), key=natural_key)
    if not new:
        return rotation
    bag = list(rotation.bag)
    if settings.new_first:
        # Staff who just dropped in a photo want to see it soon.
        bag = new + bag
    elif settings.order == "sorted":
        bag = sorted(bag + new, key=natural_key)
    else:
        rng = random.Random(f"{rotation.seed}:{rotation.round}:{len(rotation.seen)}:{len(bag)}")
        for path in new:
            bag.insert(rng.randint(0, len(bag)), path)
    return dataclasses.replace(rotation, bag=tuple(bag))
