"""What changed in the slide folder: notifications and looks in, settled files and slide changes out.

Pure: the folder watchers (kiosk.boundary.folderwatch, kiosk.boundary.publishwatch)
do the looking and the waiting. A notification only says where to look
(`Pointers`); what a look finds goes to a `Settler` (kiosk.core.settling),
and what settled becomes slide changes (`SlideDiff`), at the cost of the
change, not of the folder: with 20,000 photos, a new one costs what one
photo costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from kiosk.core.catalogue import (
    SLIDE_SUFFIXES, Catalogue, FileInfo, Slide, UnreadableSidecar, kind_of, picture_stem, slide_for,
)
from kiosk.core.messages import ContentChanged
from kiosk.core.settling import Settler
from kiosk.core.sidecar import SIDECAR_SUFFIXES

SMALL_FOLDER_FILES = 64  # a folder with no more files than this is looked at whole when it changes
_USUAL_SUFFIXES = (*SLIDE_SUFFIXES, *(suffix.upper() for suffix in SLIDE_SUFFIXES))

Sidecars = Mapping[str, "str | UnreadableSidecar"]


@dataclass(frozen=True, slots=True)
class FolderEvent:
    """What one change notification says, with paths relative to the watched folder ("a/b.jpg").

    `path` or `moved_to` is None for the folder itself or a place outside it;
    `moved_to` is None too when nothing moved.
    """

    kind: str  # "created", "modified", "moved", "deleted", or "events_lost" (the kernel's queue overflowed)
    path: str | None
    moved_to: str | None = None
    is_folder: bool = False


@dataclass
class Looks:
    """The paths the notifications named since the last look at them."""

    renamed: set[str] = field(default_factory=set)  # renamed into place: complete already
    named: set[str] = field(default_factory=set)  # to look at again
    folders: set[str] = field(default_factory=set)  # folders whose entries changed ("" the root)
    whole: bool = False  # notifications were lost: only a listing of the whole folder can say what changed


class Pointers:
    """Collects where notifications point until the watcher looks (not thread-safe: the watcher locks).

    A file renamed into the folder (rsync's and the sync's own last step, `mv`
    within one disk) was written whole under another name: it needs no settle wait.
    """

    def __init__(self) -> None:
        self._looks = Looks()

    def note(self, event: FolderEvent) -> None:
        if event.kind == "events_lost":
            self._looks.whole = True
            return
        if event.is_folder and event.kind == "modified":
            # A file inside changed: its own event names it, if the kernel watched that folder in
            # time. A folder made a moment earlier (the sync's override/) may not have been, so a
            # small folder is looked at whole, and a change at the root checks the kind folders.
            self._looks.folders.add(event.path or "")
            return
        if event.path is not None:
            self._looks.named.add(event.path)
        if event.kind == "moved" and event.moved_to is not None:
            self._looks.named.add(event.moved_to)
            self._looks.renamed.add(event.moved_to)

    def take(self) -> Looks:
        """What was named since the last call."""
        looks, self._looks = self._looks, Looks()
        return looks


def renamed_files(files: Iterable[FileInfo], renamed: set[str]) -> list[FileInfo]:
    """The files that were renamed into place, or lie inside a folder that was."""
    if not renamed:
        return []
    return [info for info in files if info.path in renamed
            or any(info.path.startswith(f"{folder}/") for folder in renamed)]


def small_folders(folders: Iterable[str], settler: Settler) -> set[str]:
    """Of sub-folders whose entries changed, those small enough to look at whole (the big kind
    folders were watched from the start: their files' own events say what changed)."""
    return {folder for folder in folders
            if folder and (folder.startswith("override") or "/" in folder)
            and len(settler.known_under(folder)) <= SMALL_FOLDER_FILES}


def gone_after_look(path: str, present: set[str], settler: Settler) -> list[str]:
    """What a look at `path` that found `present` says is gone: the file itself, or, for a folder,
    what it held and no longer holds.

    Whatever its name: a folder may have a dot in it (answers/trip.2024), and
    one moved out of the watched tree is named by one event alone. A missing
    path that is no known file costs one pass over the known names.
    """
    if path in present:
        return []
    if settler.known(path):
        return [path]
    return [known for known in settler.known_under(path) if known not in present]


class SlideDiff:
    """The catalogue the settled files make, kept up to date change by change.

    Fed the settler's changes and the sidecar texts a look found, it says which
    slides changed and which went, and the catalogue they make; the published
    catalogue shares its unchanged slides with the previous one.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str | UnreadableSidecar] = {}  # settled sidecars' texts
        self._listing_problems: tuple[str, ...] = ()
        self._slide_problems: dict[str, str] = {}  # per picture or sidecar: an empty file, a broken sidecar
        self._odd: dict[str, set[str]] = {}  # stem -> settled pictures spelt unusually (a.Jpg): few, if any
        self.published = Catalogue()

    def start(self, files: Iterable[FileInfo], sidecars: Sidecars, problems: Iterable[str]) -> Catalogue:
        """The catalogue of a first listing, every file taken as complete."""
        self._texts = dict(sidecars)
        self._listing_problems = tuple(problems)
        self._odd = {}
        slides: list[Slide] = []
        # Most pictures have no sidecar: only those whose stem has one look for it (20,000 photos: 50 ms less).
        stems = {picture_stem(path) for path in self._texts}
        for info in files:
            self._spelt(info.path, present=True)
            slide, problem = slide_for(info, self._texts if picture_stem(info.path) in stems else {})
            self._note(info.path, problem)
            if slide is not None:
                slides.append(slide)
        self.published = Catalogue.in_order(slides, self._problems())
        return self.published

    def update(self, changes: Mapping[str, FileInfo | None], sidecars: Sidecars, settler: Settler,
               listing_problems: Iterable[str] | None = None) -> ContentChanged | None:
        """Turns what settled, changed or went into slides; the message to post, or None if nothing changed.

        `sidecars` are the texts the look read (only settled ones count);
        `listing_problems` replaces the listing's problems after a whole listing.
        """
        if listing_problems is not None:
            self._listing_problems = tuple(listing_problems)
        for path, text in sidecars.items():
            if settler.is_settled(path):
                self._texts[path] = text
        for path, info in changes.items():
            self._spelt(path, present=info is not None)
        pictures: set[str] = set()
        for path, info in changes.items():
            if path.lower().endswith(SIDECAR_SUFFIXES):
                if info is None:
                    self._texts.pop(path, None)
                    self._slide_problems.pop(path, None)
                pictures.update(self._pictures_of(path, settler))
            elif kind_of(path) is not None:
                pictures.add(path)
        previous = self.published
        changed: list[Slide] = []
        removed: list[str] = []
        for path in sorted(pictures):
            info = settler.settled_file(path)
            slide, problem = slide_for(info, self._texts) if info is not None else (None, None)
            self._note(path, problem)
            if slide is None:
                if previous.get(path) is not None:
                    removed.append(path)
            elif previous.get(path) != slide:
                changed.append(slide)
        problems = self._problems()
        if not (changed or removed or problems != previous.problems):
            return None
        # The published catalogue is the last one changed: the two share their unchanged
        # slides, so the render loop, dropping the old one, frees only what changed.
        self.published = previous.with_changes(changed, removed, problems)
        return ContentChanged(self.published, tuple(changed), tuple(removed))

    def _note(self, path: str, problem: str | None) -> None:
        """Keeps a picture's problem (an empty file, a broken sidecar) up to date."""
        if problem:
            self._slide_problems[path] = problem
        else:
            self._slide_problems.pop(path, None)

    def _spelt(self, path: str, present: bool) -> None:
        """Keeps the index of pictures with an unusual spelling of their suffix up to date."""
        if path.endswith(_USUAL_SUFFIXES) or kind_of(path) is None:
            return
        stem = picture_stem(path)
        if present:
            self._odd.setdefault(stem, set()).add(path)
        elif stem in self._odd:
            self._odd[stem].discard(path)
            if not self._odd[stem]:
                del self._odd[stem]

    def _pictures_of(self, sidecar: str, settler: Settler) -> set[str]:
        """The settled pictures a sidecar belongs to: a look for each usual suffix, and the few
        pictures spelt otherwise (a.Jpg), without a pass over 20,000 names."""
        stem = picture_stem(sidecar)
        return {stem + suffix for suffix in _USUAL_SUFFIXES
                if settler.settled_file(stem + suffix) is not None} | self._odd.get(stem, set())

    def _problems(self) -> tuple[str, ...]:
        return self._listing_problems + tuple(self._slide_problems.values())
