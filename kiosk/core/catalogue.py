"""The catalogue: which slides the folder holds, of which kind, with what sidecar.

Pure: it is built from a listing that the folder scanner (kiosk.boundary.folder) made,
so it is tested without touching a disk. Names that sync tools and browsers
use for incomplete files never become slides.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import operator
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable, Mapping

from kiosk.core.errors import SidecarError
from kiosk.core.sidecar import SIDECAR_SUFFIXES, SlideMeta, parse_sidecar
from kiosk.core.videofacts import VIDEO_SUFFIXES, is_video

# HEIC/HEIF (iPhones) and AVIF (many Android phones) too: kiosk.picture.decoder reads them.
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".heic", ".heif", ".avif")
# What a slide may be: a picture, or a video (kiosk.picture.video plays them).
SLIDE_SUFFIXES = PICTURE_SUFFIXES + VIDEO_SUFFIXES
# override/ holds what staff put on every screen at once (override/<role>/ on one role's).
KIND_BY_FOLDER = {"contribute": "contribute", "answers": "answer", "override": "override"}
KINDS = ("contribute", "answer", "override")
FLEET_FILE = "fleet.yaml"  # the plaza's central settings, at the top of the slide folder (kiosk.core.fleet)
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


def is_temporary_name(name: str) -> bool:
    """True for names that sync tools and browsers give to incomplete files.

    Covers dot- and tilde-prefixed names (rsync's .NAME.XXXXXX, Syncthing's
    .syncthing.NAME.tmp, Nextcloud's .NAME.~xxxx, editors' ~lock files) and
    the usual partial-download suffixes.
    """
    lowered = name.lower()
    return name.startswith((".", "~")) or lowered.endswith(_TEMPORARY_SUFFIXES)


def kind_of(path: str) -> str | None:
    """The slide kind of a folder-relative POSIX path, or None if it is no slide.

    String operations, not PurePosixPath: a start lists 20,000 of them.
    """
    top, _, rest = path.partition("/")
    kind = KIND_BY_FOLDER.get(top)
    if kind is None or not rest:
        return _kind_of_odd_path(path) if top in ("", ".") else None
    if "/" not in rest:  # the usual "answers/NAME.jpg": one name to check
        dot = rest.rfind(".")
        if dot <= 0 or rest[0] in ".~" or rest[dot:].lower() not in SLIDE_SUFFIXES:
            return None
        return kind
    return _kind_of_odd_path(path)


def _kind_of_odd_path(path: str) -> str | None:
    """kind_of for sub-folders, and for paths with empty or "." parts."""
    parts = [part for part in path.split("/") if part and part != "."]
    if len(parts) < 2 or any(is_temporary_name(part) for part in parts):
        return None
    name = parts[-1]
    dot = name.rfind(".")
    if dot <= 0 or name[dot:].lower() not in SLIDE_SUFFIXES:
        return None
    return KIND_BY_FOLDER.get(parts[0])


_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=4096)  # the slides compared often (contribute, the last few); not 20,000 keys
def natural_key(path: str) -> str:
    """Sort key that puts 2.jpg before 10.jpg, ignoring case.

    One string, not a tuple of tuples (20,000 of those took 9 MB): each run of
    digits becomes \x01, its length and the number without leading zeros; each
    run of other characters \x02 and the run. A number sorts before text at
    the same place, a shorter number before a longer one.
    """
    key = _DIGITS.sub(_number_key, path.casefold())
    return key if key[:1] == "\x01" else "\x02" + key


def _number_key(match: "re.Match[str]") -> str:
    digits = str(int(match.group()))  # \d matched Unicode decimal digits, which int() reads
    return f"\x01{chr(0x20 + len(digits))}{digits}\x02"


def slide_order(slide: "Slide") -> tuple[str, str]:
    """The order of slides of one kind: natural filename order, exact name as the tie-break."""
    return (natural_key(slide.path), slide.path)


ADDED_GENERATIONS = 64  # the answers each of the last few changes added, for the rotation to admit
OVERLAY_MAX = 512  # changes kept beside the shared index before it is copied with them (once per so many)
_lineages = itertools.count(1)
NO_META = SlideMeta()  # one, shared by every slide without a sidecar


@dataclass(frozen=True, slots=True)  # thousands of them: no dict each
class FileInfo:
    """One file of the slide folder as the scanner saw it.

    `length`, for a video only: how long one play lasts by its header (seconds), or why the scanner
    could not tell (text). The scanner reads it once per version of the file (kiosk.boundary.folder).
    """

    path: str
    size: int
    mtime_ns: int
    length: float | str | None = None


@dataclass(frozen=True, slots=True)  # thousands of them: no dict each
class Slide:
    """A picture or a video that can be shown, with its sidecar's settings (and a video's length in them)."""

    path: str
    kind: str
    size: int
    mtime_ns: int
    meta: SlideMeta = NO_META

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the picture file changes; keys the frame cache."""
        return (self.size, self.mtime_ns)


@dataclass(frozen=True)
class Catalogue:
    """Every slide in the folder, each kind in filename order.

    `with_changes()` makes the next catalogue from a few changes at the cost
    of those changes (and a copy of pointers), not of the folder, and
    remembers which answers each change added (`added_since()`), so the
    rotation can take in new answers without comparing 20,000 names.
    """

    contribute: tuple[Slide, ...] = ()
    answers: tuple[Slide, ...] = ()
    problems: tuple[str, ...] = ()
    overrides: tuple[Slide, ...] = ()
    # path -> slide, shared between the catalogues that with_changes makes (never changed once
    # made), and the changes since it was made (None: removed).
    _index: dict[str, Slide] | None = field(default=None, compare=False, repr=False)
    _over: dict[str, Slide | None] = field(default_factory=dict, compare=False, repr=False)
    _answer_paths: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    lineage: int = field(default=0, compare=False, repr=False)  # catalogues made by with_changes share it
    generation: int = field(default=0, compare=False, repr=False)
    added: tuple[tuple[int, tuple[str, ...]], ...] = field(default=(), compare=False, repr=False)
    added_from: int = field(default=0, compare=False, repr=False)  # `added` is complete after this generation

    def __post_init__(self) -> None:
        if self._index is None:
            object.__setattr__(self, "_index", {slide.path: slide for slide in self.slides()})
        if self.lineage == 0:
            object.__setattr__(self, "lineage", next(_lineages))

    @property
    def answer_paths(self) -> tuple[str, ...]:
        """The answers' paths in order (made at the first call: a new round asks once)."""
        paths = self._answer_paths
        if paths is None:
            paths = tuple(map(operator.attrgetter("path"), self.answers))
            object.__setattr__(self, "_answer_paths", paths)
        return paths

    def slides(self) -> tuple[Slide, ...]:
        """Every slide of every kind, overrides included."""
        return (*self.contribute, *self.answers, *self.overrides)

    def get(self, path: str) -> Slide | None:
        over = self._over
        if over and path in over:
            return over[path]
        index = self._index
        assert index is not None  # made in __post_init__
        return index.get(path)

    def __len__(self) -> int:
        """The slides of the rotation (contribute and answers; overrides stand apart)."""
        return len(self.contribute) + len(self.answers)

    def count(self, kind: str) -> int:
        return len({"contribute": self.contribute, "answer": self.answers, "override": self.overrides}[kind])

    @classmethod
    def in_order(cls, slides: Iterable[Slide], problems: tuple[str, ...] = ()) -> "Catalogue":
        """The slides sorted into their kinds, each in `slide_order`."""
        kinds: dict[str, list[Slide]] = {kind: [] for kind in KINDS}
        for slide in slides:
            kinds[slide.kind].append(slide)
        for items in kinds.values():
            items.sort(key=slide_order)
        return cls(contribute=tuple(kinds["contribute"]), answers=tuple(kinds["answer"]), problems=problems,
                   overrides=tuple(kinds["override"]))

    def with_changes(self, upsert: Iterable[Slide] = (), remove: Iterable[str] = (),
                     problems: tuple[str, ...] | None = None) -> "Catalogue":
        """This catalogue with slides added or replaced and paths removed; each kind stays in order.

        The kinds must be in `slide_order` (as build_catalogue and this method keep them).
        """
        over = dict(self._over)
        shared = self._index
        assert shared is not None  # made in __post_init__
        upsert, remove = tuple(upsert), tuple(remove)
        # A list per kind changed, for a batch; a tuple sliced anew for a change or two, which copies
        # the kind's slides once instead of twice (a list, then a tuple): 20,000 answers in 0.07 ms.
        few = len(upsert) + len(remove) <= 2
        lists: dict[str, "list[Slide] | tuple[Slide, ...]"] = {}
        added: list[str] = []

        def kind_items(kind: str) -> "list[Slide] | tuple[Slide, ...]":
            if kind not in lists:
                current = {"contribute": self.contribute, "answer": self.answers, "override": self.overrides}[kind]
                lists[kind] = current if few else list(current)
            return lists[kind]

        def take_out(slide: Slide) -> None:
            items = kind_items(slide.kind)
            at = bisect.bisect_left(items, slide_order(slide), key=slide_order)
            if at < len(items) and items[at].path == slide.path:
                if isinstance(items, tuple):
                    lists[slide.kind] = items[:at] + items[at + 1:]
                else:
                    del items[at]

        def put_in(slide: Slide) -> None:
            items = kind_items(slide.kind)
            at = bisect.bisect_left(items, slide_order(slide), key=slide_order)
            if isinstance(items, tuple):
                lists[slide.kind] = items[:at] + (slide,) + items[at:]
            else:
                items.insert(at, slide)

        for path in remove:
            old = self.get(path) if path not in over else over[path]
            if old is not None:
                take_out(old)
                over[path] = None
        for slide in upsert:
            old = over[slide.path] if slide.path in over else shared.get(slide.path)
            if old is not None:
                take_out(old)
            elif slide.kind == "answer":
                added.append(slide.path)
            put_in(slide)
            over[slide.path] = slide
        index = shared
        if len(over) > OVERLAY_MAX:
            index = dict(shared)
            for path, changed in over.items():
                if changed is None:
                    index.pop(path, None)
                else:
                    index[path] = changed
            over = {}
        generation = self.generation + 1
        history = self.added + ((generation, tuple(added)),) if added else self.added
        added_from = self.added_from
        if len(history) > ADDED_GENERATIONS:
            added_from = history[-ADDED_GENERATIONS - 1][0]
            history = history[-ADDED_GENERATIONS:]
        return Catalogue(
            contribute=tuple(lists["contribute"]) if "contribute" in lists else self.contribute,
            answers=tuple(lists["answer"]) if "answer" in lists else self.answers,
            problems=self.problems if problems is None else problems,
            overrides=tuple(lists["override"]) if "override" in lists else self.overrides,
            _index=index,
            _over=over,
            lineage=self.lineage,
            generation=generation,
            added=history,
            added_from=added_from,
        )

    def added_since(self, lineage: int, generation: int) -> tuple[str, ...] | None:
        """The answers added after `generation` of this catalogue's lineage; None if that is not known."""
        if lineage != self.lineage or generation > self.generation or generation < self.added_from:
            return None  # another listing, or older than the history kept
        if generation == self.generation:
            return ()
        found: list[str] = []
        for number, paths in self.added:
            if number > generation:
                found.extend(paths)
        return tuple(found)


@dataclass(frozen=True)
class UnreadableSidecar:
    """A sidecar the scanner could not read, and why."""

    reason: str


def build_catalogue(
    files: Iterable[FileInfo],
    sidecar_texts: Mapping[str, "str | UnreadableSidecar"],
    listing_problems: Iterable[str] = (),
) -> Catalogue:
    """Turns a folder listing and the texts of its sidecars into a Catalogue.

    `sidecar_texts` maps a sidecar's relative path to its text, or to
    UnreadableSidecar; `listing_problems` are what the scanner refused.
    """
    slides: dict[str, list[Slide]] = {kind: [] for kind in KINDS}
    problems: list[str] = list(listing_problems)
    for info in files:
        slide, problem = slide_for(info, sidecar_texts)
        if problem:
            problems.append(problem)
        if slide is not None:
            slides[slide.kind].append(slide)
    for kind in KINDS:
        slides[kind].sort(key=slide_order)
    return Catalogue(
        contribute=tuple(slides["contribute"]),
        answers=tuple(slides["answer"]),
        problems=tuple(problems),
        overrides=tuple(slides["override"]),
    )


def slide_for(info: FileInfo,
              sidecar_texts: Mapping[str, "str | UnreadableSidecar"]) -> tuple[Slide | None, str | None]:
    """The slide a listed file makes (None if it makes none), and what is wrong with it, if anything."""
    kind = kind_of(info.path)
    if kind is None:
        return None, None
    if info.size == 0:
        # Nothing to decode: no need to send it to the worker to learn that.
        return None, f"{info.path}: skipped: an empty file (it is shown once it has content)"
    meta, problem = _meta_for(info.path, sidecar_texts)
    if is_video(info.path):
        length = info.length
        if not isinstance(length, float) or not 0 < length <= 86_400:
            reason = length if isinstance(length, str) else "how long it lasts is not known"
            return None, f"{info.path}: skipped: {reason}"
        meta = dataclasses.replace(meta, video_seconds=length)
    return Slide(info.path, kind, info.size, info.mtime_ns, meta), problem


def picture_stem(path: str) -> str:
    """The path without its suffix: what a picture and its sidecars share."""
    slash = path.rfind("/")
    dot = path.rfind(".")
    return path[:dot] if dot > slash + 1 else path


def sidecar_candidates(path: str) -> list[str]:
    """The sidecar paths that may belong to a picture, in order of precedence."""
    stem = picture_stem(path)
    return [f"{stem}{suffix}" for suffix in SIDECAR_SUFFIXES]


def _meta_for(path: str, sidecar_texts: Mapping[str, "str | UnreadableSidecar"]) -> tuple[SlideMeta, str | None]:
    if not sidecar_texts:
        return NO_META, None
    for candidate in sidecar_candidates(path):
        if candidate not in sidecar_texts:
            continue
        text = sidecar_texts[candidate]
        if isinstance(text, UnreadableSidecar):
            return SlideMeta(), f"{candidate}: sidecar ignored: {text.reason}"
        try:
            return parse_sidecar(text, PurePosixPath(candidate).suffix), None
        except SidecarError as exc:
            return SlideMeta(), f"{candidate}: sidecar ignored: {exc}"
    return NO_META, None

