"""The catalogue: which slides the folder holds, of which kind, with what sidecar.

Pure: it is built from a listing that the folder scanner (kiosk.boundary.folder) made,
so it is tested without touching a disk. Names that sync tools and browsers
use for incomplete files never become slides.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable, Mapping

from kiosk.core.errors import SidecarError
from kiosk.core.sidecar import SIDECAR_SUFFIXES, SlideMeta, parse_sidecar

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
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
    """The slide kind of a folder-relative POSIX path, or None if it is no slide."""
    parts = PurePosixPath(path).parts
    if len(parts) < 2 or any(is_temporary_name(part) for part in parts):
        return None
    if PurePosixPath(path).suffix.lower() not in PICTURE_SUFFIXES:
        return None
    return KIND_BY_FOLDER.get(parts[0])


@functools.lru_cache(maxsize=1 << 17)
def natural_key(path: str) -> tuple:
    """Sort key that puts 2.jpg before 10.jpg, ignoring case (remembered: the rotation sorts often)."""
    return tuple(
        (0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk)
        for chunk in re.split(r"(\d+)", path.casefold())
        if chunk
    )


def slide_order(slide: "Slide") -> tuple:
    """The order of slides of one kind: natural filename order, exact name as the tie-break."""
    return (natural_key(slide.path), slide.path)


ADDED_GENERATIONS = 64  # the answers each of the last few changes added, for the rotation to admit
_lineages = itertools.count(1)


@dataclass(frozen=True)
class FileInfo:
    """One file of the slide folder as the scanner saw it."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Slide:
    """A picture that can be shown, with its sidecar's settings."""

    path: str
    kind: str
    size: int
    mtime_ns: int
    meta: SlideMeta = SlideMeta()

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
    _index: dict[str, Slide] | None = field(default=None, compare=False, repr=False)
    answer_paths: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    lineage: int = field(default=0, compare=False, repr=False)  # catalogues made by with_changes share it
    generation: int = field(default=0, compare=False, repr=False)
    added: tuple[tuple[int, tuple[str, ...]], ...] = field(default=(), compare=False, repr=False)
    added_from: int = field(default=0, compare=False, repr=False)  # `added` is complete after this generation

    def __post_init__(self) -> None:
        if self._index is None:
            object.__setattr__(self, "_index", {slide.path: slide for slide in self.slides()})
        if self.answer_paths is None:
            object.__setattr__(self, "answer_paths", tuple(slide.path for slide in self.answers))
        if self.lineage == 0:
            object.__setattr__(self, "lineage", next(_lineages))

    def slides(self) -> tuple[Slide, ...]:
        """Every slide of every kind, overrides included."""
        return (*self.contribute, *self.answers, *self.overrides)

    def get(self, path: str) -> Slide | None:
        return self._index.get(path)  # type: ignore[union-attr]

    def __len__(self) -> int:
        """The slides of the rotation (contribute and answers; overrides stand apart)."""
        return len(self.contribute) + len(self.answers)

    def count(self, kind: str) -> int:
        return len({"contribute": self.contribute, "answer": self.answers, "override": self.overrides}[kind])

    @classmethod
    def of(cls, slides: Iterable[Slide], problems: tuple[str, ...] = ()) -> "Catalogue":
        """The slides sorted into their kinds (kept in the order given)."""
        items = list(slides)
        return cls(
            contribute=tuple(s for s in items if s.kind == "contribute"),
            answers=tuple(s for s in items if s.kind == "answer"),
            problems=problems,
            overrides=tuple(s for s in items if s.kind == "override"),
        )

    def with_changes(self, upsert: Iterable[Slide] = (), remove: Iterable[str] = (),
                     problems: tuple[str, ...] | None = None) -> "Catalogue":
        """This catalogue with slides added or replaced and paths removed; each kind stays in order.

        The kinds must be in `slide_order` (as build_catalogue and this method keep them).
        """
        index = dict(self._index)  # type: ignore[arg-type]
        lists: dict[str, list[Slide]] = {}
        paths: list[str] | None = None
        added: list[str] = []

        def kind_list(kind: str) -> list[Slide]:
            if kind not in lists:
                lists[kind] = list({"contribute": self.contribute, "answer": self.answers,
                                    "override": self.overrides}[kind])
            return lists[kind]

        def take_out(slide: Slide) -> None:
            nonlocal paths
            items = kind_list(slide.kind)
            at = bisect.bisect_left(items, slide_order(slide), key=slide_order)
            if at < len(items) and items[at].path == slide.path:
                del items[at]
                if slide.kind == "answer":
                    paths = paths if paths is not None else list(self.answer_paths or ())
                    del paths[at]

        for path in remove:
            old = index.pop(path, None)
            if old is not None:
                take_out(old)
        for slide in upsert:
            old = index.get(slide.path)
            if old is not None:
                take_out(old)
            elif slide.kind == "answer":
                added.append(slide.path)
            items = kind_list(slide.kind)
            at = bisect.bisect_left(items, slide_order(slide), key=slide_order)
            items.insert(at, slide)
            if slide.kind == "answer":
                paths = paths if paths is not None else list(self.answer_paths or ())
                paths.insert(at, slide.path)
            index[slide.path] = slide
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
            answer_paths=tuple(paths) if paths is not None else self.answer_paths,
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
        kind = kind_of(info.path)
        if kind is None:
            continue
        if info.size == 0:
            # Nothing to decode: no need to send it to the worker to learn that.
            problems.append(f"{info.path}: skipped: an empty file (it is shown once it has content)")
            continue
        meta, problem = _meta_for(info.path, sidecar_texts)
        if problem:
            problems.append(problem)
        slides[kind].append(Slide(info.path, kind, info.size, info.mtime_ns, meta))
    for kind in KINDS:
        slides[kind].sort(key=slide_order)
    return Catalogue(
        contribute=tuple(slides["contribute"]),
        answers=tuple(slides["answer"]),
        problems=tuple(problems),
        overrides=tuple(slides["override"]),
    )


def sidecar_candidates(path: str) -> list[str]:
    """The sidecar paths that may belong to a picture, in order of precedence."""
    stem = PurePosixPath(path).with_suffix("")
    return [f"{stem}{suffix}" for suffix in SIDECAR_SUFFIXES]


def _meta_for(path: str, sidecar_texts: Mapping[str, "str | UnreadableSidecar"]) -> tuple[SlideMeta, str | None]:
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
    return SlideMeta(), None

