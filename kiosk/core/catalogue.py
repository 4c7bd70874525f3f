"""The catalogue: which slides the folder holds, of which kind, with what sidecar.

Pure: it is built from a listing that the folder scanner (kiosk.boundary.folder) made,
so it is tested without touching a disk. Names that sync tools and browsers
use for incomplete files never become slides.
"""

from __future__ import annotations

import functools
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
    """Every slide in the folder, each kind in filename order."""

    contribute: tuple[Slide, ...] = ()
    answers: tuple[Slide, ...] = ()
    problems: tuple[str, ...] = ()
    overrides: tuple[Slide, ...] = ()
    _index: dict[str, Slide] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for slide in self.slides():
            self._index[slide.path] = slide

    def slides(self) -> tuple[Slide, ...]:
        """Every slide of every kind, overrides included."""
        return (*self.contribute, *self.answers, *self.overrides)

    def get(self, path: str) -> Slide | None:
        return self._index.get(path)

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
        slides[kind].sort(key=lambda slide: natural_key(slide.path))
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

