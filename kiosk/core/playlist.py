"""The rotation: which slide comes next, as a pure function of state and time.

The pattern is one contribute slide, then `answers_per_contribute` answers,
then the next contribute slide in filename order. Answers come in rounds:
each is shown once before any repeats, and a round never starts with the
answer that was just shown. A round holds the answers listed when it began
(`members`, in filename order) and draws them through a permutation keyed by
the seed and the round number (kiosk.core.shuffle), so `kiosk plan` and
`kiosk run` agree slide for slide, and the round's place is one number.
Answers that arrive during a round join it (`fresh`), first if
`playlist.new_first`; answers passed over while they could not be shown
(their dates, a retry) wait in `deferred` and come as soon as they can.

Every choice costs in proportion to what changed, not to the folder: the
catalogue says which answers each change added (Catalogue.added_since), and
the rotation never copies or searches its 20,000 names. The rotation itself,
the state each choice moves on, is kiosk.core.rotation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Callable, Collection

from kiosk.core.catalogue import Catalogue, Slide, natural_key
from kiosk.core.rotation import Rotation, member_path
from kiosk.core.schedule import Schedule
from kiosk.core.sections import Config, default
from kiosk.core.sidecar import within_window
from kiosk.core.values import MAX_SECONDS, printable_name
from kiosk.core.videoclock import VideoPlan

FALLBACK_PATH = "(fallback)"


@dataclass(frozen=True)
class PlaylistSettings:
    """The parts of the config that shape the sequence."""

    # Each default is its config field's (one source): a PlaylistSettings() is what a default config.yaml makes.
    answers_per_contribute: int = default("playlist.answers_per_contribute")
    order: str = default("playlist.order")
    new_first: bool = default("playlist.new_first")
    contribute_seconds: float = default("timing.contribute_seconds")
    answer_seconds: float = default("timing.answer_seconds")
    # A video holds its first frame while it fades in: its turn is this much longer than its video.
    fade_seconds: float = default("timing.transition_seconds")
    kinds: tuple[str, ...] = default("playlist.kinds")
    include: tuple[str, ...] = default("playlist.include")
    exclude: tuple[str, ...] = default("playlist.exclude")
    sync_group: str = default("playlist.sync_group")
    sync_offset: int = default("playlist.sync_offset")
    role: str = default("box.role")


def playlist_settings(config: Config) -> PlaylistSettings:
    """The parts of a config that shape the sequence."""
    return PlaylistSettings(
        answers_per_contribute=config.playlist.answers_per_contribute,
        order=config.playlist.order,
        new_first=config.playlist.new_first,
        contribute_seconds=config.timing.contribute_seconds,
        answer_seconds=config.timing.answer_seconds,
        fade_seconds=config.timing.transition_seconds if config.timing.transition == "fade" else 0.0,
        kinds=config.playlist.kinds,
        include=config.playlist.include,
        exclude=config.playlist.exclude,
        sync_group=config.playlist.sync_group,
        sync_offset=config.playlist.sync_offset,
        role=config.box.role,
    )


def play_record(start: dt.datetime, path: str, kind: str, seconds: float) -> dict[str, Any]:
    """The log line for a slide that began to appear at `start` (an aware datetime)."""
    return {
        "time": start.isoformat(timespec="milliseconds"),
        "path": printable_name(path),
        "kind": kind,
        "seconds": seconds,
    }


@dataclass(frozen=True)
class Entry:
    """One slide to show: what, of which kind, for how long, with which caption; a video's plan."""

    path: str
    kind: str
    seconds: float
    caption: str = ""
    version: tuple[int, int] = (0, 0)
    video: VideoPlan | None = None
    lang: str = ""  # the caption's language (its sidecar's `lang`)
    # In a sync group: seconds since the group's slot for this slide began (a box joining mid-slot, or one
    # slide held over the slots of others); a video's clock counts from the slot's start, not from when it
    # appeared. None outside a sync group.
    into: float | None = None

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
    moment = start
    for _ in range(count):
        if schedule is not None:
            on = schedule.next_on(moment)
            if on is None:
                break  # the schedule has ended: the screen stays off
            moment = on
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
    meta = slide.meta
    if meta.video_seconds is not None:
        # A video lasts its own length (its plays, or its sidecar's seconds), after the fade in on its first frame.
        plan = VideoPlan(meta.video_seconds, meta.loop or 1, meta.seconds, meta.audio)
        seconds = min(settings.fade_seconds + plan.length, MAX_SECONDS)
        return Entry(slide.path, slide.kind, seconds, meta.caption, slide.version, plan, lang=meta.lang)
    default = settings.answer_seconds if slide.kind == "answer" else settings.contribute_seconds
    seconds = meta.seconds if meta.seconds is not None else default
    return Entry(slide.path, slide.kind, seconds, meta.caption, slide.version, lang=meta.lang)


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
    if not catalogue.answers:
        return None
    rotation = take_in(rotation, catalogue, settings)
    for _attempt in range(2):
        if rotation.round > 0:
            picked = _draw(rotation, catalogue, settings, now, skip)
            if picked is not None:
                return picked
        # Every answer of the round is shown, gone, or out of its dates: a new round.
        rotation = _refill(rotation, catalogue, settings)
    return None


def _draw(rotation: Rotation, catalogue: Catalogue, settings: PlaylistSettings, now: dt.datetime,
          skip: Collection[str]) -> tuple[Slide, Rotation] | None:
    """The round's next answer that can be shown now, or None when the round has none left."""

    def listed(path: str) -> Slide | None:
        """The answer, or None if it left the folder."""
        slide = catalogue.get(path)
        return slide if slide is not None and slide.kind == "answer" else None

    def shown_now(path: str, slide: Slide) -> bool:
        """Whether it may be shown now: not skipped, and within its dates."""
        return path not in skip and within_window(slide.meta, now)

    if rotation.deferred:
        waiting: list[str] = []
        for at, path in enumerate(rotation.deferred):
            slide = listed(path)
            if slide is None:
                continue
            if shown_now(path, slide):
                rest = (*waiting, *rotation.deferred[at + 1:])
                return slide, dataclasses.replace(rotation, deferred=rest, last_answer=path)
            waiting.append(path)
        rotation = dataclasses.replace(rotation, deferred=tuple(waiting))
    deferred = list(rotation.deferred)
    drawn, fresh_drawn = rotation.drawn, rotation.fresh_drawn
    members, fresh = rotation.members, rotation.fresh
    while drawn < len(members) or fresh_drawn < len(fresh):
        if _fresh_next(rotation, settings, drawn, fresh_drawn):
            path = fresh[fresh_drawn]
            fresh_drawn += 1
        else:
            path = rotation.member(drawn)
            drawn += 1
            if path in fresh:
                continue  # it left and came back during the round: it is drawn as a new answer
        slide = listed(path)
        if slide is None:
            continue
        if not shown_now(path, slide):
            deferred.append(path)
            continue
        return slide, dataclasses.replace(
            rotation, drawn=drawn, fresh_drawn=fresh_drawn, deferred=tuple(deferred), last_answer=path,
        )
    return None


def _fresh_next(rotation: Rotation, settings: PlaylistSettings, drawn: int, fresh_drawn: int) -> bool:
    """Whether the next answer comes from those that arrived during the round."""
    fresh_left = len(rotation.fresh) - fresh_drawn
    members_left = len(rotation.members) - drawn
    if fresh_left == 0 or members_left == 0:
        return fresh_left > 0
    if settings.new_first:
        return True  # staff who just dropped in a photo want to see it soon
    if settings.order == "sorted":
        return natural_key(rotation.fresh[fresh_drawn]) < natural_key(rotation.member(drawn))
    # A fair merge: each remaining answer is as likely to come next as any other.
    chance = random.Random(f"{rotation.seed}:{rotation.round}:{drawn}:{fresh_drawn}")
    return chance.randrange(fresh_left + members_left) < fresh_left


def _refill(rotation: Rotation, catalogue: Catalogue, settings: PlaylistSettings) -> Rotation:
    """A new round of every answer in the catalogue; costs no more than a reference to its slides."""
    members = catalogue.answers
    rotation = dataclasses.replace(
        rotation, round=rotation.round + 1, members=members, shuffled=settings.order == "shuffle",
        drawn=0, first_swapped=False, fresh=(), fresh_drawn=0, deferred=(),
        taken_in=(catalogue.lineage, catalogue.generation),
    )
    if len(members) > 1 and rotation.member(0) == rotation.last_answer:
        rotation = dataclasses.replace(rotation, first_swapped=True)  # never the same answer twice in a row
    return rotation


def take_in(rotation: Rotation, catalogue: Catalogue, settings: PlaylistSettings) -> Rotation:
    """Puts answers that appeared since the round began into it.

    From the catalogue's record of what each change added, in proportion to
    the change; only a catalogue of another listing (a start, `kiosk plan`)
    is compared name by name, once.
    """
    mark = (catalogue.lineage, catalogue.generation)
    if rotation.round == 0 or rotation.taken_in == mark:
        return rotation
    added = None if rotation.taken_in is None else catalogue.added_since(*rotation.taken_in)
    if added is None:
        known = {member_path(member) for member in rotation.members}
        known.update(rotation.fresh)
        added = tuple(path for path in catalogue.answer_paths or () if path not in known)
    else:
        fresh = set(rotation.fresh)
        added = tuple(path for path in dict.fromkeys(added) if path not in fresh and catalogue.get(path) is not None)
    return dataclasses.replace(rotation, fresh=rotation.fresh + added, taken_in=mark)
