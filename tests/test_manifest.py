import json

import pytest

from kiosk.manifest import ManifestError, check_path, manifest_version, parse_manifest, ManifestFile

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
