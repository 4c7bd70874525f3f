"""The plaza's rules for what a box shows: its role's selection, overrides, and boxes that change in step.

* **Selection.** A box shows the kinds `playlist.kinds` names, of the paths
  `playlist.include` and `playlist.exclude` allow (POSIX patterns on the
  path in the slide folder). Overrides are for every box (`override/NAME`)
  or for one role's (`override/<role>/NAME`).
* **Overrides.** While any override is in the folder, the box shows the
  overrides, in name order, instead of its rotation; the rotation waits
  where it was and goes on when they are withdrawn.
* **Sync groups.** Boxes of one `playlist.sync_group` compute, from the
  content and the wall clock alone, the same sequence and the same slide
  boundaries: each cycle shows every selected answer once, in an order
  shuffled by the group's name and the cycle's number, with the contribute
  slides between them as the pattern says, and cycles follow each other
  from the Unix epoch. The sequence is made from the content as listed
  (what was published), never from what one box found it cannot show: a
  box holds such a slot with the slide of the slot before it (`held`), so
  every box keeps the same boundaries and the same slide in every slot it
  can show. No box talks to another; a box that restarts, or whose content
  arrives late, is in step again at its next boundary once it holds the
  same content. `playlist.sync_offset: N` shows the slide N places further
  on, in the same slots.

Pure: catalogues, settings and times in, entries out.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import random
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Callable, Collection

from kiosk.core.catalogue import Catalogue, Slide, natural_key
from kiosk.core.playlist import Entry, PlaylistSettings, entry_for, next_entry
from kiosk.core.rotation import Rotation
from kiosk.core.sidecar import within_window

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def selection(settings: PlaylistSettings) -> Callable[[Slide], bool]:
    """Whether this box shows a slide: its kinds, paths its patterns allow, the overrides for its role."""

    def wanted(slide: Slide) -> bool:
        if slide.kind == "override":
            parts = PurePosixPath(slide.path).parts
            return len(parts) == 2 or parts[1] == settings.role
        if slide.kind not in settings.kinds:
            return False
        if settings.include and not any(fnmatchcase(slide.path, pattern) for pattern in settings.include):
            return False
        return not any(fnmatchcase(slide.path, pattern) for pattern in settings.exclude)

    return wanted


def selected(catalogue: Catalogue, settings: PlaylistSettings) -> Catalogue:
    """The slides this box shows (see `selection`)."""
    wanted = selection(settings)
    every = not settings.include and not settings.exclude  # then a kind is shown whole, as it is

    def kind(slides: tuple[Slide, ...], name: str) -> tuple[Slide, ...]:
        if every:
            return slides if name in settings.kinds else ()
        return tuple(s for s in slides if wanted(s))

    return Catalogue(
        contribute=kind(catalogue.contribute, "contribute"),
        answers=kind(catalogue.answers, "answer"),
        problems=catalogue.problems,
        overrides=tuple(s for s in catalogue.overrides if wanted(s)),
    )


def active_overrides(catalogue: Catalogue, now: dt.datetime, skip: Collection[str] = ()) -> list[Slide]:
    """The overrides to show now, in name order."""
    return [s for s in catalogue.overrides if s.path not in skip and within_window(s.meta, now)]


def choose(
    rotation: Rotation,
    catalogue: Catalogue,
    settings: PlaylistSettings,
    now: dt.datetime,
    skip: Collection[str] = (),
    listed: Catalogue | None = None,
) -> tuple[Entry, Rotation]:
    """The slide that starts at `now`: an override, the group's slot, or the box's own rotation.

    `listed` is the content as listed, admitted or not (kiosk.core.admission), from which a sync
    group's sequence is made; `catalogue` when not given.
    """
    overrides = active_overrides(catalogue, now, skip)
    if overrides:
        paths = [s.path for s in overrides]
        last = rotation.last_override
        index = (paths.index(last) + 1) % len(paths) if last in paths else 0
        return entry_for(overrides[index], settings), dataclasses.replace(rotation, last_override=paths[index])
    if rotation.last_override is not None:
        rotation = dataclasses.replace(rotation, last_override=None)
    if settings.sync_group:
        return synced_entry(catalogue if listed is None else listed, settings, now, skip), rotation
    return next_entry(rotation, catalogue, settings, now, skip)


def synced_entry(catalogue: Catalogue, settings: PlaylistSettings, now: dt.datetime,
                 skip: Collection[str] = ()) -> Entry:
    """The group's slide for the slot that holds `now`, for the time left in that slot.

    `catalogue` is the content as listed (what was published), and the
    sequence is made from all of it. A slot whose slide is in `skip` (this
    box cannot show it) is held: the box shows the slide of the nearest slot
    before it that it can show, and a slide followed by such slots is shown
    on through them. So boxes that found different files unusable still
    agree on every boundary, and on the slide of every slot both can show.
    """
    contribute = tuple(s for s in catalogue.contribute if within_window(s.meta, now))
    answers = tuple(s for s in catalogue.answers if within_window(s.meta, now))
    if not contribute and not answers:
        return Entry("(fallback)", "fallback", settings.contribute_seconds)
    group = settings.sync_group
    cycles: dict[int, tuple[Slide, ...]] = {}

    def cycle_of(number: int) -> tuple[Slide, ...]:
        if number not in cycles:  # hashing 20,000 slides for the cache costs; once per cycle per call
            cycles[number] = _sequence(contribute, answers, settings, group, number)
        return cycles[number]

    # Every cycle holds the same slides, so it lasts the same; only the order of answers changes.
    first = cycle_of(0)
    length = len(first)
    total = sum(_seconds(slide, settings) for slide in first)
    cycle, into = divmod((now - EPOCH).total_seconds(), total)
    cycle = int(cycle)
    ends = _ends(tuple(_seconds(slide, settings) for slide in cycle_of(cycle)))
    index = min(bisect.bisect_right(ends, into), len(ends) - 1)
    left = ends[index] - into
    if left < 0.001:  # at a boundary, within float error: the slot that begins there
        index += 1
        if index == len(ends):
            cycle, index = cycle + 1, 0
            ends = _ends(tuple(_seconds(slide, settings) for slide in cycle_of(cycle)))
        left = ends[index] - (ends[index - 1] if index else 0.0)
    slot = cycle * length + index  # counted from the epoch's first slot
    begun = ends[index] - (ends[index - 1] if index else 0.0) - left  # seconds since the slot began

    def slide_in(number: int) -> Slide:
        """The slide of a slot: the sequence's, `sync_offset` places on."""
        shown = number + settings.sync_offset
        return cycle_of(shown // length)[shown % length]

    def slot_seconds(number: int) -> float:
        return _seconds(cycle_of(number // length)[number % length], settings)

    # Every cycle holds every slide, so one this box can show is never two cycles away.
    held = next((slot - back for back in range(2 * length) if slide_in(slot - back).path not in skip), None)
    if held is None:  # nothing of the group's content can be shown here: the fallback, for this slot
        return Entry("(fallback)", "fallback", round(left, 3))
    after = slot + 1
    while after < slot + 2 * length and slide_in(after).path in skip:  # slots this slide holds on through
        left += slot_seconds(after)
        after += 1
    begun += sum(slot_seconds(number) for number in range(held, slot))  # a held slide's slot began before
    return dataclasses.replace(entry_for(slide_in(held), settings), seconds=round(left, 3),
                               into=round(max(0.0, begun), 6))


def _seconds(slide: Slide, settings: PlaylistSettings) -> float:
    return entry_for(slide, settings).seconds


@lru_cache(maxsize=64)
def _ends(lengths: tuple[float, ...]) -> list[float]:
    total, ends = 0.0, []
    for length in lengths:
        total += length
        ends.append(total)
    return ends


@lru_cache(maxsize=16)
def _sequence(contribute: tuple[Slide, ...], answers: tuple[Slide, ...], settings: PlaylistSettings,
              group: str, cycle: int) -> tuple[Slide, ...]:
    """One cycle of the group: every answer once, shuffled by group and cycle, contribute slides between."""
    ordered = sorted(answers, key=lambda s: natural_key(s.path))
    if settings.order == "shuffle":
        random.Random(f"{group}:{cycle}").shuffle(ordered)
    cards = sorted(contribute, key=lambda s: natural_key(s.path))
    per = settings.answers_per_contribute
    if not cards or not ordered:
        return tuple(cards or ordered)
    if per == 0:
        return tuple(cards)
    sequence: list[Slide] = []
    for number, start in enumerate(range(0, len(ordered), per)):
        sequence.append(cards[number % len(cards)])
        sequence.extend(ordered[start:start + per])
    return tuple(sequence)
