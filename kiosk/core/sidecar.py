"""Sidecar files: NAME.yaml (caption, seconds, start, end, off_hours; for a video also loop and audio)
or NAME.txt (caption).

Pure parsing of text that the folder scanner has already read. A broken
sidecar raises SidecarError; the caller reports it and shows the picture
without it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from kiosk.core import safeyaml
from kiosk.core.errors import SidecarError
from kiosk.core.values import MAX_SECONDS, excerpt, number_problem

SIDECAR_SUFFIXES = (".yaml", ".yml", ".txt")
MAX_SIDECAR_BYTES = 64 * 1024
# Longer than any caption fits on a screen; the band shrinks and ellipsises well before.
MAX_CAPTION_CHARACTERS = 2_000
_KEYS = ("caption", "lang", "seconds", "start", "end", "off_hours", "loop", "audio")
# A BCP 47 language tag as captions need it: a language, then subtags (`zh-Hant`, `ja`, `uz-Latn`, `pt-BR`).
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
MAX_LANG = 35
MAX_LOOPS = 1000  # plays of a video in one turn (kiosk.core.videoclock holds a slot to the same)

Moment = dt.date | dt.datetime


@dataclass(frozen=True, slots=True)  # thousands of them: no dict each
class SlideMeta:
    """What a sidecar says about its picture; empty when there is none."""

    caption: str = ""
    lang: str = ""  # the caption's language (BCP 47): chooses the regional face of Han characters
    seconds: float | None = None
    start: Moment | None = None
    end: Moment | None = None
    off_hours: bool = False  # an override shown even while the schedule has the screen off
    loop: int | None = None  # a video: plays in one turn (its `seconds`, if given, rule instead)
    audio: bool = False  # a video: its sound is kept at publish and played where display.audio is on
    video_seconds: float | None = None  # a video: how long one play lasts (the folder scanner's probe, not a key)


def parse_sidecar(text: str, suffix: str) -> SlideMeta:
    """Parses the text of a `.yaml`/`.yml` or `.txt` sidecar."""
    if suffix == ".txt":
        return SlideMeta(caption=_checked_caption(text))
    try:
        data = safeyaml.load(text)
    except safeyaml.YamlRefused as exc:
        raise SidecarError(str(exc)) from None
    if data is None:
        return SlideMeta()
    if not isinstance(data, dict):
        raise SidecarError("must be a mapping with caption, lang, seconds, start, end, off_hours, loop or audio")
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise SidecarError(f"unknown key {excerpt(unknown[0])}; known keys: {', '.join(_KEYS)}")
    caption = data.get("caption")
    if caption is not None and (isinstance(caption, bool) or not isinstance(caption, (str, int, float))):
        raise SidecarError(f"caption must be text, got {excerpt(caption)}")
    lang = data.get("lang")
    if lang is not None and (not isinstance(lang, str) or len(lang) > MAX_LANG or not _LANG.fullmatch(lang)):
        raise SidecarError(f"lang must be a language tag such as ko, zh-Hant or ja, got {excerpt(lang)}")
    seconds = data.get("seconds")
    problem = None if seconds is None else number_problem(seconds, 0, MAX_SECONDS, low_open=True,
                                                          what="a number of seconds")
    if problem:
        raise SidecarError(f"seconds {problem}")
    start = _moment(data.get("start"), "start")
    end = _moment(data.get("end"), "end")
    off_hours = data.get("off_hours", False)
    if not isinstance(off_hours, bool):
        raise SidecarError(f"off_hours must be true or false, got {excerpt(off_hours)}")
    loop = data.get("loop")
    if loop is not None and (isinstance(loop, bool) or not isinstance(loop, int) or not 1 <= loop <= MAX_LOOPS):
        raise SidecarError(f"loop must be a whole number of plays from 1 to {MAX_LOOPS}, got {excerpt(loop)}")
    audio = data.get("audio", False)
    if not isinstance(audio, bool):
        raise SidecarError(f"audio must be true or false, got {excerpt(audio)}")
    if start is not None and end is not None and _comparable(start, True) > _comparable(end, False):
        raise SidecarError(f"start {start} is after end {end}")
    return SlideMeta(
        caption=_checked_caption("" if caption is None else str(caption)),
        lang=lang or "",
        seconds=None if seconds is None else float(seconds),
        start=start,
        end=end,
        off_hours=off_hours,
        loop=loop,
        audio=audio,
    )


def _checked_caption(text: str) -> str:
    if len(text) > MAX_CAPTION_CHARACTERS:
        raise SidecarError(f"caption is {len(text):,} characters, over the limit of {MAX_CAPTION_CHARACTERS:,}")
    return _clean_caption(text)


def _clean_caption(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").strip("\ufeff")


def _moment(value: Any, key: str) -> Moment | None:
    if value is None or isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, str):
        text = value.strip()
        for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
            try:
                return parse(text)
            except ValueError:
                continue
    raise SidecarError(f"{key} must be a date (2026-12-21) or a date and time (2026-12-21 18:00), got {excerpt(value)}")


def _comparable(moment: Moment, is_start: bool) -> dt.datetime:
    """A naive datetime for ordering start against end (dates cover the whole day)."""
    if isinstance(moment, dt.datetime):
        return moment.replace(tzinfo=None)
    if is_start:
        return dt.datetime.combine(moment, dt.time.min)
    return dt.datetime.combine(moment, dt.time.max)


def within_window(meta: SlideMeta, now: dt.datetime) -> bool:
    """True when `now` (an aware datetime in the box's zone) is inside start..end.

    A date covers its whole day, so `end: 2026-12-21` still shows on the 21st.
    A datetime without an offset is wall-clock time in the zone of `now`.
    """
    return _after_start(meta.start, now) and _before_end(meta.end, now)


def _as_local(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


def _after_start(start: Moment | None, now: dt.datetime) -> bool:
    if start is None:
        return True
    if isinstance(start, dt.datetime):
        return now >= _as_local(start, now)
    return now.date() >= start


def _before_end(end: Moment | None, now: dt.datetime) -> bool:
    if end is None:
        return True
    if isinstance(end, dt.datetime):
        return now < _as_local(end, now)
    return now.date() <= end
