import json

import pytest

from kiosk.core.manifest import ManifestError, check_path, manifest_version, parse_manifest, ManifestFile

SHA = "a" * 64


def manifest(*files, version="v1"):
    return json.dumps({"version": version, "generated": "2026-12-18T09:00:00+09:00", "files": list(files)})


def entry(path="answers/a.jpg", sha256=SHA, size=10):
    return {"path": path, "sha256": sha256, "size": size}


def test_a_good_manifest_parses():
    parsed = parse_manifest(manifest(entry(), entry("contribute/c.yaml", "b" * 64, 3)), 100, 1000)
    assert parsed.version == "v1" and parsed.total_bytes == 13
    assert parsed.files[1].path == "contribute/c.yaml"


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/etc/passwd", "absolute"),
        ("C:/x/answers/a.jpg", "absolute"),
        ("answers/../../x.jpg", "'..'"),
        ("answers/./a.jpg", "'.'"),
        ("answers//a.jpg", "empty"),
        ("answers\\a.jpg", "backslash"),
        ("answers/a\0.jpg", "NUL"),
        ("answers/run.sh", "not a slide or sidecar"),
        ("other/a.jpg", "not a slide or sidecar"),
        ("answers/.hidden.jpg", "not a slide or sidecar"),
        ("answers/a.jpg.part", "not a slide or sidecar"),
        ("", "non-empty"),
    ],
)
def test_unsafe_paths_refuse_the_whole_manifest(path, reason):
    with pytest.raises(ManifestError, match=reason):
        parse_manifest(manifest(entry(), entry(path)), 100, 1000)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("not json{", "not valid JSON"),
        ("[]", "JSON object"),
        (json.dumps({"version": "", "generated": "x", "files": []}), "version"),
        (json.dumps({"version": "v", "generated": "x", "files": {}}), "files must be a list"),
        (manifest(entry(sha256="XYZ")), "sha256"),
        (manifest(entry(size=-1)), "size"),
        (manifest(entry(size=True)), "size"),
        (manifest(entry(), entry()), "listed twice"),
        (manifest(entry("answers/A.JPG"), entry("answers/a.jpg")), "listed twice"),
        (manifest(entry("answers/x.jpg"), entry("answers/x.jpg/y.jpg")), "both a file and a folder"),
    ],
)
def test_malformed_manifests_are_refused(text, reason):
    with pytest.raises(ManifestError, match=reason):
        parse_manifest(text, 100, 1000)


def test_size_limits():
    with pytest.raises(ManifestError, match="max_file_bytes"):
        parse_manifest(manifest(entry(size=101)), 100, 1000)
    with pytest.raises(ManifestError, match="max_total_bytes"):
        parse_manifest(manifest(*[entry(f"answers/{i}.jpg", size=100) for i in range(11)]), 100, 1000)


def test_check_path_accepts_nested_slides_and_sidecars():
    assert check_path("answers/day-1/a.txt") == "answers/day-1/a.txt"


def test_version_depends_only_on_content():
    one = (ManifestFile("answers/a.jpg", SHA, 1), ManifestFile("answers/b.jpg", "b" * 64, 2))
    assert manifest_version(one) == manifest_version(tuple(reversed(one)))
    assert manifest_version(one) != manifest_version(one[:1])


# --- hostile manifests ------------------------------------------------------------

from hypothesis import given, settings
from hypothesis import strategies as st

from .hostile import json_texts


def test_a_deeply_nested_manifest_is_refused_not_a_crash():
    with pytest.raises(ManifestError, match="nested too deeply"):
        parse_manifest('{"files": ' + "[" * 5000 + "]" * 5000 + "}", 10**9, 10**12)


def test_sizes_and_paths_from_outside_are_checked():
    entry = {"path": "answers/a.jpg", "sha256": "0" * 64, "size": 1e400}
    text = json.dumps({"version": "v", "generated": "", "files": [entry]}).replace("Infinity", "1e400")
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse_manifest(text, 10**9, 10**12)
    entry = {"path": "answers/\udcff.jpg", "sha256": "0" * 64, "size": 1}
    with pytest.raises(ManifestError, match="control character or a lone surrogate"):
        parse_manifest(json.dumps({"version": "v", "generated": "", "files": [entry]}), 10**9, 10**12)


@settings(deadline=None)
@given(st.one_of(json_texts(), st.builds(
    lambda files: json.dumps({"version": "v1", "generated": "2026-12-18T09:00:00Z", "files": files}),
    st.lists(st.fixed_dictionaries({
        "path": st.one_of(st.text(max_size=30),
                          st.sampled_from(["answers/a.jpg", "../x.jpg", "answers/A.JPG", "answers/a.jpg"])),
        "sha256": st.one_of(st.just("a" * 64), st.text(max_size=70)),
        "size": st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)),
    }), max_size=5),
)))
def test_any_manifest_parses_or_is_refused_with_a_short_reason(text):
    try:
        manifest = parse_manifest(text, 100 * 1024 * 1024, 4 * 1024**3)
    except ManifestError as exc:
        assert len(str(exc)) < 400
        return
    for item in manifest.files:
        assert 0 <= item.size <= 100 * 1024 * 1024
        item.path.encode("utf-8")
