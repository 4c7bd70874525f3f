"""The pure folder diff on plain data: where notifications point, what a look says is gone, and the slide
changes; and the oracle: a folder changed step by step, looked at where it changed, makes the catalogue
that a fresh scan of it makes."""

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from kiosk.core.catalogue import Catalogue, FileInfo, UnreadableSidecar, build_catalogue
from kiosk.core.folderdiff import (
    SMALL_FOLDER_FILES, FolderEvent, Pointers, SlideDiff, gone_after_look, renamed_files, small_folders,
)
from kiosk.core.settling import Settler


def info(path, size=100, mtime=1):
    return FileInfo(path, size, mtime)


def settled(*files):
    settler = Settler(settle_seconds=0.0)
    settler.accept(files, now=0.0)
    settler.take_changes()
    return settler


# --- where notifications point ------------------------------------------------------------------


def test_a_rename_into_place_names_both_paths_and_says_the_new_one_is_complete():
    pointers = Pointers()
    pointers.note(FolderEvent("moved", "answers/.b.jpg.XyZ", "answers/b.jpg"))
    looks = pointers.take()
    assert looks.named == {"answers/.b.jpg.XyZ", "answers/b.jpg"} and looks.renamed == {"answers/b.jpg"}
    assert pointers.take().named == set()  # taken once


def test_a_file_written_in_place_is_named_but_not_taken_as_complete():
    pointers = Pointers()
    pointers.note(FolderEvent("created", "answers/b.jpg"))
    pointers.note(FolderEvent("modified", "answers/b.jpg"))
    looks = pointers.take()
    assert looks.named == {"answers/b.jpg"} and looks.renamed == set()


def test_a_move_out_of_the_folder_names_only_what_left():
    pointers = Pointers()
    pointers.note(FolderEvent("moved", "answers/b.jpg", None))
    looks = pointers.take()
    assert looks.named == {"answers/b.jpg"} and looks.renamed == set()


def test_a_folder_whose_entries_changed_is_named_as_a_folder_and_the_root_as_empty():
    pointers = Pointers()
    pointers.note(FolderEvent("modified", "override", is_folder=True))
    pointers.note(FolderEvent("modified", None, is_folder=True))
    looks = pointers.take()
    assert looks.folders == {"override", ""} and looks.named == set()


def test_lost_notifications_ask_for_a_look_at_the_whole_folder():
    pointers = Pointers()
    pointers.note(FolderEvent("created", "answers/b.jpg"))
    pointers.note(FolderEvent("events_lost", None, None, is_folder=True))  # the kernel's queue overflowed
    assert pointers.take().whole is True
    assert pointers.take().whole is False  # once


def test_files_renamed_into_place_include_those_inside_a_folder_moved_in_whole():
    files = [info("answers/batch/b1.jpg"), info("answers/batch2/c.jpg"), info("answers/a.jpg")]
    assert renamed_files(files, {"answers/batch"}) == [info("answers/batch/b1.jpg")]
    assert renamed_files(files, set()) == []


def test_only_small_sub_folders_are_looked_at_whole():
    big = [info(f"answers/big/{index}.jpg") for index in range(SMALL_FOLDER_FILES + 1)]
    settler = settled(info("override/ceremony.png"), info("answers/batch/b.jpg"), info("answers/a.jpg"), *big)
    assert small_folders({"", "answers", "override", "answers/batch", "answers/big"}, settler) == {
        "override", "answers/batch"}


def test_a_look_that_finds_nothing_says_the_file_or_what_the_folder_held_is_gone():
    settler = settled(info("answers/a.jpg"), info("answers/batch/b1.jpg"), info("answers/batch/b2.jpg"))
    assert gone_after_look("answers/a.jpg", set(), settler) == ["answers/a.jpg"]
    assert sorted(gone_after_look("answers/batch", {"answers/batch/b2.jpg"}, settler)) == ["answers/batch/b1.jpg"]
    assert gone_after_look("answers/a.jpg", {"answers/a.jpg"}, settler) == []
    assert gone_after_look("answers/never.jpg", set(), settler) == []


@pytest.mark.parametrize("folder", ["answers/trip2024", "answers/trip.2024", "answers/batch.jpg"])
def test_a_folder_moved_out_of_the_tree_takes_what_it_held_whatever_its_name(folder):
    settler = settled(info(f"{folder}/a.jpg"), info(f"{folder}/deeper/b.jpg"), info("answers/stays.jpg"))
    pointers = Pointers()
    pointers.note(FolderEvent("deleted", folder, is_folder=True))  # watchdog's one event for a folder moved out
    gone = [lost for path in pointers.take().named for lost in gone_after_look(path, set(), settler)]
    assert sorted(gone) == [f"{folder}/a.jpg", f"{folder}/deeper/b.jpg"]


# --- the slide changes ------------------------------------------------------------------------------


def test_a_sidecar_that_settles_changes_its_pictures_of_any_spelling():
    settler = settled(info("answers/a.Jpg"), info("answers/a.png"))
    diff = SlideDiff()
    diff.start(settler.settled(), {}, ())
    settler.observe_some([info("answers/a.txt", size=7)], [], now=1.0)
    message = diff.update(settler.take_changes(), {"answers/a.txt": "hello"}, settler)
    assert sorted((s.path, s.meta.caption) for s in message.changed) == [("answers/a.Jpg", "hello"),
                                                                          ("answers/a.png", "hello")]
    assert message.removed == ()


def test_an_empty_picture_is_a_problem_until_it_has_content_and_a_removed_one_leaves():
    settler = settled(info("answers/a.jpg"))
    diff = SlideDiff()
    diff.start(settler.settled(), {}, ())
    settler.observe_some([info("answers/b.jpg", size=0)], [], now=1.0)
    message = diff.update(settler.take_changes(), {}, settler)
    assert message.changed == () and message.removed == () and len(message.catalogue.problems) == 1
    settler.observe_some([info("answers/b.jpg", size=5, mtime=2)], ["answers/a.jpg"], now=2.0)
    message = diff.update(settler.take_changes(), {}, settler)
    assert [s.path for s in message.changed] == ["answers/b.jpg"] and message.removed == ("answers/a.jpg",)
    assert message.catalogue.problems == ()


def test_nothing_settled_means_no_message():
    settler = settled(info("answers/a.jpg"))
    diff = SlideDiff()
    diff.start(settler.settled(), {}, ())
    assert diff.update(settler.take_changes(), {}, settler) is None


def test_a_whole_listing_replaces_the_listings_problems():
    settler = settled(info("answers/a.jpg"))
    diff = SlideDiff()
    diff.start(settler.settled(), {}, ("answers/x: skipped",))
    message = diff.update({}, {}, settler, listing_problems=())
    assert message.catalogue.problems == () and message.changed == ()


# --- the oracle: step by step equals a fresh scan ------------------------------------------------

FOLDERS = ("answers", "contribute", "override", "answers/sub", "answers/trip.2024")
NAMES = ("a.jpg", "a.Jpg", "a.png", "b.JPG", "a.txt", "a.yaml", "b.yml", "readme.md")
TEXTS = ("hello", "caption: one\n", "caption: [unclosed\n", "seconds: -3\n", "", UnreadableSidecar("not UTF-8 text"))
PATHS = [f"{folder}/{name}" for folder in FOLDERS for name in NAMES]

writes = st.tuples(st.just("write"), st.sampled_from(PATHS), st.sampled_from(TEXTS), st.sampled_from((0, 100, 200)))
deletes = st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none(), st.none())
drops = st.tuples(st.just("drop"), st.sampled_from(("answers/sub", "answers/trip.2024", "override")), st.none(),
                  st.none())
# A batch of changes, and whether the kernel's queue overflowed meanwhile (its notifications lost).
steps = st.lists(st.tuples(st.lists(st.one_of(writes, writes, deletes, drops), min_size=1, max_size=4),
                           st.booleans()), max_size=8)


class Folder:
    """A slide folder as plain data: path -> (FileInfo, text)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[FileInfo, "str | UnreadableSidecar"]] = {}
        self.moment = 0

    def apply(self, op: str, path: str, text, size) -> FolderEvent:
        """Carries out one change; the notification it makes (a folder moved out of the tree makes one
        event alone, for the folder)."""
        self.moment += 1
        if op == "write":
            is_sidecar = path.endswith((".txt", ".yaml", ".yml"))
            size = (len(text) if isinstance(text, str) else 5) if is_sidecar else size
            self.entries[path] = (FileInfo(path, size, self.moment), text)
            return FolderEvent("modified", path)
        if op == "delete":
            self.entries.pop(path, None)
            return FolderEvent("deleted", path)
        for inside in [known for known in self.entries if known.startswith(path + "/")]:
            del self.entries[inside]
        return FolderEvent("deleted", path, is_folder=True)

    def files(self) -> list[FileInfo]:
        return [entry[0] for entry in self.entries.values()]

    def sidecars(self, paths=None) -> dict:
        return {path: text for path, (_info, text) in self.entries.items()
                if path.endswith((".txt", ".yaml", ".yml")) and (paths is None or path in paths)}

    def look_at(self, path: str) -> list[FileInfo]:
        return [info for known, (info, _text) in self.entries.items() if known == path or known.startswith(path + "/")]


def same_catalogue(kept: Catalogue, fresh: Catalogue) -> None:
    assert (kept.contribute, kept.answers, kept.overrides) == (fresh.contribute, fresh.answers, fresh.overrides)
    assert sorted(kept.problems) == sorted(fresh.problems)


@hypothesis_settings(max_examples=300, deadline=None)
@given(start=st.lists(writes, max_size=6), steps=steps, whole=st.booleans())
def test_a_folder_changed_step_by_step_makes_the_catalogue_a_fresh_scan_makes(start, steps, whole):
    folder = Folder()
    for op in start:
        folder.apply(*op)
    settler = Settler(settle_seconds=0.0)
    diff = SlideDiff()
    settler.accept(folder.files(), now=0.0)
    settler.take_changes()
    same_catalogue(diff.start(folder.files(), folder.sidecars(), ()),
                   build_catalogue(folder.files(), folder.sidecars()))
    pointers = Pointers()
    for moment, (batch, lost) in enumerate(steps, start=1):
        for op in batch:
            event = folder.apply(*op)
            if not lost:
                pointers.note(event)
        if lost:
            pointers.note(FolderEvent("events_lost", None, None, is_folder=True))
        looks = pointers.take()
        named = looks.named
        previous = diff.published
        if whole or looks.whole:
            settler.observe(folder.files(), now=moment)
            message = diff.update(settler.take_changes(), folder.sidecars(), settler, listing_problems=())
        else:
            found = [info for path in sorted(named) for info in folder.look_at(path)]
            gone = [lost for path in sorted(named) for lost in
                    gone_after_look(path, {info.path for info in folder.look_at(path)}, settler)]
            settler.observe_some(found, gone, now=moment)
            message = diff.update(settler.take_changes(), folder.sidecars({info.path for info in found}), settler)
        fresh = build_catalogue(folder.files(), folder.sidecars())
        same_catalogue(diff.published, fresh)
        # What the message says changed is what changed.
        paths = {slide.path for slide in (*previous.slides(), *fresh.slides())}
        differ = {path for path in paths if previous.get(path) != fresh.get(path)}
        if message is None:
            assert differ == set() and sorted(previous.problems) == sorted(fresh.problems)
        else:
            assert message.catalogue is diff.published
            assert {slide.path for slide in message.changed} == {path for path in differ if fresh.get(path)}
            assert set(message.removed) == {path for path in differ if fresh.get(path) is None}
