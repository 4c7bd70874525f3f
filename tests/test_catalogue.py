import pytest

from kiosk.core.catalogue import FileInfo, UnreadableSidecar, build_catalogue, is_temporary_name, kind_of, natural_key


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.jpg", "~lock.jpg", "photo.jpg.tmp", "photo.jpg.part", "photo.jpg.partial",
        "photo.JPG.crdownload", ".syncthing.photo.jpg.tmp", ".photo.jpg.Ab12Cd", ".photo.jpg.~a1b2c3d4",
    ],
)
def test_temporary_names_are_never_slides(name):
    assert is_temporary_name(name)
    assert kind_of(f"answers/{name}") is None


@pytest.mark.parametrize(
    "path, kind",
    [
        ("contribute/01.png", "contribute"),
        ("answers/x.JPG", "answer"),
        ("answers/day1/x.webp", "answer"),
        ("answers/x.gif", "answer"),
        ("answers/x.bmp", "answer"),
        ("answers/x.jpeg", "answer"),
        ("answers/x.heic", "answer"),
        ("answers/x.HEIF", "answer"),
        ("answers/x.avif", "answer"),
        ("answers/x.tiff", None),
        ("answers/x.yaml", None),
        ("other/x.jpg", None),
        ("x.jpg", None),
        ("answers/.tmpdir/x.jpg", None),
    ],
)
def test_kind_of(path, kind):
    assert kind_of(path) == kind


def test_natural_order():
    names = ["a10.jpg", "a2.jpg", "A1.jpg", "b.jpg"]
    assert sorted(names, key=natural_key) == ["A1.jpg", "a2.jpg", "a10.jpg", "b.jpg"]


def files(*paths: str) -> list[FileInfo]:
    return [FileInfo(p, 100, 1) for p in paths]


def test_build_sorts_each_kind_and_ignores_the_rest():
    catalogue = build_catalogue(
        files("contribute/10.png", "contribute/2.png", "answers/b.jpg", "answers/a.jpg", "answers/a.yaml",
              "readme.txt"),
        {},
    )
    assert [s.path for s in catalogue.contribute] == ["contribute/2.png", "contribute/10.png"]
    assert [s.path for s in catalogue.answers] == ["answers/a.jpg", "answers/b.jpg"]
    assert len(catalogue) == 4
    assert catalogue.get("answers/a.jpg").kind == "answer"
    assert catalogue.get("answers/a.yaml") is None


def test_yaml_sidecar_wins_over_txt():
    catalogue = build_catalogue(
        files("answers/a.jpg", "answers/a.yaml", "answers/a.txt"),
        {"answers/a.yaml": "caption: from yaml\n", "answers/a.txt": "from txt"},
    )
    assert catalogue.get("answers/a.jpg").meta.caption == "from yaml"


def test_broken_sidecar_is_reported_and_the_picture_stays():
    catalogue = build_catalogue(files("answers/a.jpg", "answers/a.yaml"), {"answers/a.yaml": "seconds: -1\n"})
    assert catalogue.get("answers/a.jpg").meta.caption == ""
    assert catalogue.problems == (
        "answers/a.yaml: sidecar ignored: seconds must be a number of seconds > 0 and <= 86400, got -1",)


def test_unreadable_sidecar_is_reported():
    catalogue = build_catalogue(files("answers/a.jpg"), {"answers/a.txt": UnreadableSidecar("not UTF-8 text")})
    assert catalogue.problems == ("answers/a.txt: sidecar ignored: not UTF-8 text",)


@pytest.mark.parametrize("name", ["a.mp4", "a.MOV", "a.m4v", "a.webm", "a.mkv"])
def test_a_video_with_a_known_length_is_a_slide_with_its_sidecar(name):
    catalogue = build_catalogue([FileInfo(f"answers/{name}", 10, 5, 6.5)],
                                {"answers/a.yaml": "caption: hoping together\nloop: 2\n"})
    slide = catalogue.get(f"answers/{name}")
    assert slide.kind == "answer" and slide.meta.video_seconds == 6.5
    assert slide.meta.caption == "hoping together" and slide.meta.loop == 2


@pytest.mark.parametrize("length, reason", [
    ("no video stream", "no video stream"),
    (None, "how long it lasts is not known"),
    (0.0, "how long it lasts is not known"),
    (float("nan"), "how long it lasts is not known"),
    (86_400.5, "how long it lasts is not known"),
])
def test_a_video_whose_length_is_not_known_is_skipped_with_the_reason(length, reason):
    catalogue = build_catalogue([FileInfo("contribute/v.mp4", 10, 5, length)], {})
    assert catalogue.get("contribute/v.mp4") is None
    assert catalogue.problems == (f"contribute/v.mp4: skipped: {reason}",)


def test_version_follows_size_and_mtime():
    one = build_catalogue([FileInfo("answers/a.jpg", 10, 5)], {}).get("answers/a.jpg")
    two = build_catalogue([FileInfo("answers/a.jpg", 10, 6)], {}).get("answers/a.jpg")
    assert one.version != two.version


# --- the next catalogue from a few changes ------------------------------------------------

from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from kiosk.core.catalogue import Catalogue

_NAMES = st.sampled_from([f"{kind}/{stem}{number}{suffix}" for kind in ("answers", "contribute", "override")
                          for stem in ("a", "A", "b", "photo-") for number in (1, 2, 10, 99)
                          for suffix in (".jpg", ".PNG")])


@hypothesis_settings(max_examples=200)
@given(st.dictionaries(_NAMES, st.integers(1, 3)), st.lists(st.tuples(_NAMES, st.integers(0, 3)), max_size=12))
def test_a_catalogue_changed_step_by_step_equals_one_built_from_scratch(start, steps):
    files = dict(start)
    catalogue = build_catalogue([FileInfo(p, size, 1) for p, size in files.items()], {})
    lineage, generation = catalogue.lineage, catalogue.generation
    added = []
    for path, size in steps:
        if size == 0:
            files.pop(path, None)
            catalogue = catalogue.with_changes(remove=[path])
        else:
            if path not in files and path.startswith("answers/"):
                added.append(path)
            files[path] = size
            slide = build_catalogue([FileInfo(path, size, 1)], {}).get(path)
            catalogue = catalogue.with_changes(upsert=[slide])
    scratch = build_catalogue([FileInfo(p, size, 1) for p, size in files.items()], {})
    assert catalogue == scratch
    assert catalogue.answer_paths == tuple(s.path for s in scratch.answers)
    assert all(catalogue.get(s.path) == s for s in scratch.slides())
    assert len(catalogue.slides()) == len(scratch.slides())
    assert catalogue.added_since(lineage, generation) == tuple(added)
    assert catalogue.added_since(Catalogue().lineage, 0) is None  # another listing: compare by name


@given(st.lists(st.sampled_from(["answers", "contribute", "override", "other", "", ".", ".hidden", "~lock", "a.part",
                                 "sub", "a.jpg", "A.JPG", ".a.jpg", "b.png", "c.tmp", "x", ".jpg"]), max_size=5))
def test_the_quick_way_to_a_paths_kind_agrees_with_the_careful_one(parts):
    from kiosk.core.catalogue import _kind_of_odd_path, kind_of

    path = "/".join(parts)
    assert kind_of(path) == _kind_of_odd_path(path)
