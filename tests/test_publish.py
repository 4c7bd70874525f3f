import json
import os
import time

import pytest

from kiosk.core.manifest import parse_manifest
from kiosk.boundary.files import sha256_of
from kiosk.boundary.publish import publish
from kiosk.boundary.staticsite import MANIFEST, OBJECTS

from .conftest import FakeClock, make_picture


def manifest_of(site):
    return parse_manifest((site / MANIFEST).read_text(), 1 << 40, 1 << 40)


def test_publish_writes_manifest_and_objects_by_hash(tmp_path, slide_folder):
    (slide_folder / "answers" / "a1.yaml").write_text("caption: 이주란 용기\n", encoding="utf-8")
    (slide_folder / "answers" / "a2.jpg.part").write_bytes(b"partial")
    (slide_folder / "answers" / "notes.docx").write_bytes(b"not a slide")
    site = tmp_path / "site"
    result = publish(slide_folder, site)
    manifest = manifest_of(site)
    paths = [f.path for f in manifest.files]
    assert paths == sorted(paths)
    assert "answers/a1.yaml" in paths and "answers/a2.jpg.part" not in paths and "answers/notes.docx" not in paths
    assert result.files == len(paths) == 8
    for item in manifest.files:
        obj = site / OBJECTS / item.sha256
        assert sha256_of(obj) == item.sha256 and obj.stat().st_size == item.size
    assert json.loads((site / MANIFEST).read_text())["generated"].startswith("20")


def test_republishing_is_incremental_and_keeps_the_version(tmp_path, slide_folder):
    site = tmp_path / "site"
    first = publish(slide_folder, site)
    stamp = (site / MANIFEST).stat().st_mtime_ns
    again = publish(slide_folder, site)
    assert again.version == first.version and not again.changed and again.objects_added == 0
    assert (site / MANIFEST).stat().st_mtime_ns == stamp  # unchanged manifest: the server's ETag stays


def test_a_rename_or_duplicate_costs_no_new_object(tmp_path, slide_folder):
    site = tmp_path / "site"
    publish(slide_folder, site)
    os.rename(slide_folder / "answers" / "a1.jpg", slide_folder / "answers" / "renamed.jpg")
    (slide_folder / "answers" / "copy.jpg").write_bytes((slide_folder / "answers" / "a2.jpg").read_bytes())
    result = publish(slide_folder, site)
    assert result.changed and result.objects_added == 0


def test_unreferenced_objects_go_only_after_the_grace_period(tmp_path, slide_folder):
    site = tmp_path / "site"
    publish(slide_folder, site)
    old = {f.sha256 for f in manifest_of(site).files if f.path == "answers/a1.jpg"}.pop()
    (slide_folder / "answers" / "a1.jpg").unlink()
    now = time.time()
    publish(slide_folder, site, grace_seconds=3600, clock=lambda: now)
    assert (site / OBJECTS / old).exists()
    publish(slide_folder, site, grace_seconds=3600, clock=lambda: now + 1800)
    assert (site / OBJECTS / old).exists()
    result = publish(slide_folder, site, grace_seconds=3600, clock=lambda: now + 3601)
    assert not (site / OBJECTS / old).exists() and result.objects_removed == 1


def test_manifest_is_replaced_atomically(tmp_path, slide_folder):
    site = tmp_path / "site"
    publish(slide_folder, site)
    make_picture(slide_folder / "answers" / "new.jpg")
    publish(slide_folder, site)
    leftovers = [p.name for p in site.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [] and "answers/new.jpg" in [f.path for f in manifest_of(site).files]


def test_publish_leaves_out_what_every_box_would_refuse_naming_both_files_and_publishes_the_rest(tmp_path, caplog):
    from kiosk.app.cli import main

    source = tmp_path / "source"
    make_picture(source / "answers" / "A.jpg")
    make_picture(source / "answers" / "a.jpg")
    make_picture(source / "answers" / "Strasse.jpg")
    make_picture(source / "answers" / "Straße.jpg")
    make_picture(source / "answers" / "fine.jpg")
    make_picture(source / "answers" / "tab\there.jpg")
    publish(source, tmp_path / "site")
    assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/fine.jpg"]
    assert "'answers/A.jpg' and 'answers/a.jpg'" in caplog.text
    assert "'answers/Strasse.jpg' and 'answers/Straße.jpg'" in caplog.text
    assert "control character" in caplog.text
    assert main(["publish", str(source), "--out", str(tmp_path / "site2")]) == 0


def test_renditions_whose_names_would_clash_are_left_out_not_the_whole_publish(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings

    source = tmp_path / "source"
    make_picture(source / "answers" / "X.JPG", size=(64, 36))  # published as X.jpg
    make_picture(source / "answers" / "x.webp", size=(64, 36), fmt="WEBP")  # published as x.jpg
    make_picture(source / "answers" / "fine.jpg", size=(64, 36))
    publish(source, tmp_path / "site", renditions=RenditionSettings(((64, 36),)))
    assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/fine.jpg"]
    assert "'answers/X.jpg' and 'answers/x.jpg'" in caplog.text


# --- renditions: what leaves the publishing machine -------------------------------------

def test_published_photos_are_renditions_without_gps_or_serial_numbers(tmp_path):
    from PIL import Image

    from kiosk.picture.rendition import RenditionSettings

    from .test_rendition import GPS, phone_photo

    source = tmp_path / "slides"
    phone_photo((source / "answers").mkdir(parents=True) or source / "answers" / "seoul.jpg", size=(1600, 1200))
    phone_photo(source / "answers" / "mayor.heic", size=(1200, 900), fmt="HEIF")
    (source / "answers" / "mayor.yaml").write_text("caption: To me, migration means hoping together.\n")
    make_picture(source / "contribute" / "c1.png", size=(64, 36))
    site = tmp_path / "site"
    result = publish(source, site, renditions=RenditionSettings(panels=((640, 360),)))
    paths = {entry.path: entry for entry in manifest_of(site).files}
    assert set(paths) == {"answers/seoul.jpg", "answers/mayor.jpg", "answers/mayor.yaml", "contribute/c1.webp"}
    for entry in paths.values():
        data = (site / OBJECTS / entry.sha256).read_bytes()
        assert b"SERIAL-0042" not in data and b"PhoneMaker" not in data
        if not entry.path.endswith(".yaml"):
            with Image.open(site / OBJECTS / entry.sha256) as picture:
                assert not picture.getexif() and not picture.getexif().get_ifd(GPS)
                assert "icc_profile" not in picture.info
    with Image.open(site / OBJECTS / paths["answers/mayor.jpg"].sha256) as mayor:
        assert mayor.size == (640, 854)  # upright (900x1200), and still covering a 640x360 panel
    assert result.objects_added == 4

    again = publish(source, site, renditions=RenditionSettings(panels=((640, 360),)))
    assert again.objects_added == 0 and not again.changed  # no picture decoded again
    originals = publish(source, site)
    assert {e.path for e in manifest_of(site).files} >= {"answers/seoul.jpg", "answers/mayor.heic"}
    assert originals.changed
    seoul = next(e for e in manifest_of(site).files if e.path == "answers/seoul.jpg")
    assert b"SERIAL-0042" in (site / OBJECTS / seoul.sha256).read_bytes()  # --originals: byte for byte


def test_a_picture_that_cannot_be_decoded_is_left_out_and_said(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings

    source = tmp_path / "slides"
    make_picture(source / "answers" / "good.jpg", size=(64, 36))
    (source / "answers" / "broken.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(100))
    publish(source, tmp_path / "site", renditions=RenditionSettings(panels=((64, 36),)))
    assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/good.jpg"]
    assert "not published: answers/broken.heic" in caplog.text


def test_kiosk_publish_sends_renditions_sized_for_the_fleets_turned_panels(tmp_path):
    from PIL import Image

    from kiosk.app.cli import main

    source = tmp_path / "slides"
    make_picture(source / "answers" / "wide.jpg", size=(4000, 3000))
    (source / "fleet.yaml").write_text("roles:\n  tall-case:\n    display: {rotation: 90}\n", encoding="utf-8")
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--max-size", "1920x1080"]) == 0
    entry = next(e for e in manifest_of(tmp_path / "site").files if e.path == "answers/wide.jpg")
    with Image.open(tmp_path / "site" / OBJECTS / entry.sha256) as wide:
        assert wide.size == (2560, 1920)  # covers a 1080x1920 panel too
    assert main(["publish", str(source), "--out", str(tmp_path / "site2"), "--max-size", "huge"]) == 1


# --- signed publishes -------------------------------------------------------------------------


@pytest.fixture
def signer(tmp_path):
    import datetime as dt

    from kiosk.boundary.signing import Signer, new_private_key, public_bytes, sign_key_list
    from kiosk.core.trust import KeyList, key_id

    root, key = new_private_key(), new_private_key()
    key_list = KeyList(1, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365),
                       {key_id(public_bytes(key)): public_bytes(key)})
    made = Signer(key, sign_key_list(root, key_list), key_list, dt.timedelta(days=7))
    made.root = public_bytes(root)
    made.root_private = root
    return made


def signed_manifest(site, signer, now=None):
    import datetime as dt

    from kiosk.boundary.signing import verify
    from kiosk.core.trust import judge

    verdict = judge((site / MANIFEST).read_bytes(), signer.root, verify, None,
                    now or dt.datetime.now(dt.timezone.utc), True, 1 << 30)
    assert verdict.accepted, verdict.refused
    return parse_manifest(verdict.body, 1 << 40, 1 << 40)


DAY = 24 * 3600.0


def test_a_signed_publish_carries_a_rising_serial_and_an_expiry(tmp_path, slide_folder, signer):
    site = tmp_path / "site"
    clock = FakeClock(1_800_000_000.0)
    first = publish(slide_folder, site, signer=signer, clock=clock)
    manifest = signed_manifest(site, signer)
    assert first.serial == manifest.serial == 1_800_000_000_000
    assert manifest.expires == "2027-01-22T08:00:00Z"  # seven days on
    assert manifest.files == manifest_of_body(site).files
    make_picture(slide_folder / "answers" / "new.png", size=(40, 30))
    second = publish(slide_folder, site, signer=signer, clock=clock)  # the same millisecond: still one more
    assert second.changed and second.serial == first.serial + 1


def manifest_of_body(site):
    from kiosk.core.trust import unpinned_body

    return parse_manifest(unpinned_body((site / MANIFEST).read_bytes(), 1 << 40), 1 << 40, 1 << 40)


def test_a_signed_manifest_is_signed_again_only_when_half_its_validity_is_gone(tmp_path, slide_folder, signer):
    site = tmp_path / "site"
    clock = FakeClock(1_800_000_000.0)
    first = publish(slide_folder, site, signer=signer, clock=clock)
    clock.advance(3 * DAY)
    assert not publish(slide_folder, site, signer=signer, clock=clock).changed  # 4 of 7 days left
    clock.advance(0.6 * DAY)
    renewed = publish(slide_folder, site, signer=signer, clock=clock)
    assert renewed.changed and renewed.serial > first.serial and renewed.version == first.version
    assert signed_manifest(site, signer).expires == "2027-01-25T22:24:00Z"
    forced = publish(slide_folder, site, signer=signer, clock=clock, resign=True)
    assert forced.changed and forced.serial > renewed.serial


def test_a_lost_site_folder_never_restarts_the_serial_below_what_boxes_hold(tmp_path, slide_folder, signer):
    clock = FakeClock(1_800_000_000.0)
    first = publish(slide_folder, tmp_path / "site", signer=signer, clock=clock)
    clock.advance(60)
    again = publish(slide_folder, tmp_path / "new-site", signer=signer, clock=clock)
    assert again.serial > first.serial


def test_publishing_unsigned_after_signed_writes_a_plain_manifest(tmp_path, slide_folder, signer, caplog):
    site = tmp_path / "site"
    publish(slide_folder, site, signer=signer)
    result = publish(slide_folder, site)
    assert result.changed and result.serial is None
    assert manifest_of(site).serial is None
    assert "publishing unsigned" in caplog.text


# --- one file never stops the publish (issue 23) ----------------------------------------------------

def banner(path, width=17_000, height=120, exif=None):
    """A wide PNG banner: under the pixel limit, over WebP's 16,383 pixels per side."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (width, height), (240, 200, 0))
    image.paste((0, 60, 160), (0, 0, width // 2, height))
    image.save(path, exif=exif or b"")
    return path


def gps_exif():
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    return exif.tobytes()


def test_a_banner_over_webps_limit_publishes_a_rendition_that_fits(tmp_path):
    from PIL import Image

    from kiosk.app.cli import main

    source = tmp_path / "slides"
    banner(source / "contribute" / "banner.png")
    make_picture(source / "answers" / "a.jpg", size=(64, 36))
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--max-size", "1920x1080"]) == 0
    entries = {e.path: e for e in manifest_of(tmp_path / "site").files}
    assert set(entries) == {"contribute/banner.webp", "answers/a.jpg"}
    with Image.open(tmp_path / "site" / OBJECTS / entries["contribute/banner.webp"].sha256) as rendition:
        assert rendition.size == (16_383, 116)  # the widest WebP, same shape
        assert rendition.convert("RGB").getpixel((100, 50)) == (0, 60, 160)
        assert rendition.convert("RGB").getpixel((16_000, 50)) == (240, 200, 0)


# An encoder told it may take more than it can: libwebp then really refuses these real files.
OVER_THE_ENCODERS_LIMIT = (("JPEG", 65_500), ("WEBP", 20_000))


def test_a_picture_the_encoder_refuses_is_left_out_and_named_and_the_rest_publish(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings

    source = tmp_path / "slides"
    banner(source / "contribute" / "located.png", exif=gps_exif())
    make_picture(source / "answers" / "a.jpg", size=(64, 36))
    publish(source, tmp_path / "site", renditions=RenditionSettings(((640, 360),), max_sides=OVER_THE_ENCODERS_LIMIT))
    assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/a.jpg"]
    assert "not published: contribute/located.png: its rendition could not be made" in caplog.text
    assert "GPS position" in caplog.text  # why its original cannot stand in


def test_a_picture_without_a_rendition_and_nothing_private_is_published_as_it_is(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings

    source = tmp_path / "slides"
    banner(source / "contribute" / "banner.png")
    publish(source, tmp_path / "site", renditions=RenditionSettings(((640, 360),), max_sides=OVER_THE_ENCODERS_LIMIT))
    [entry] = manifest_of(tmp_path / "site").files
    assert entry.path == "contribute/banner.png"
    assert (tmp_path / "site" / OBJECTS / entry.sha256).read_bytes() == (source / "contribute/banner.png").read_bytes()
    assert "the original is published instead" in caplog.text


def test_a_site_that_cannot_be_written_stops_the_publish_instead_of_taking_every_slide_down(tmp_path, slide_folder,
                                                                                          capsys):
    """A full disk or a broken site is not one file's fault: skipping every file would publish an empty manifest."""
    from kiosk.app.cli import main

    site = tmp_path / "site"
    publish(slide_folder, site)
    before = (site / MANIFEST).read_bytes()
    (site / OBJECTS).rename(tmp_path / "elsewhere")
    (site / OBJECTS).write_bytes(b"not a folder")  # every object write now fails
    make_picture(slide_folder / "answers" / "new.jpg")
    with pytest.raises(OSError):
        publish(slide_folder, site)
    assert main(["publish", str(slide_folder), "--out", str(site), "--originals"]) == 1
    assert "nothing was published" in capsys.readouterr().err
    assert (site / MANIFEST).read_bytes() == before


def test_a_slide_that_cannot_be_read_is_left_out_and_the_rest_publish(tmp_path, slide_folder, caplog):
    from kiosk.core.catalogue import FileInfo
    from kiosk.boundary.folder import list_folder

    files = list_folder(slide_folder).files
    gone = FileInfo("answers/gone.jpg", 10, 1)  # listed, then deleted before it was read
    publish(slide_folder, tmp_path / "site", files=[*files, gone])
    paths = [e.path for e in manifest_of(tmp_path / "site").files]
    assert "answers/gone.jpg" not in paths and len(paths) == 7
    assert "not published: answers/gone.jpg" in caplog.text


def test_a_serial_the_key_list_did_not_sign_is_no_floor_for_the_next(tmp_path, slide_folder, signer, caplog):
    """Whoever controls the web server rewrites manifest.json with serial 2^63 - 2 and no valid signature:
    the next publish must not continue it (2^63 - 1, then 2^63, which every box refuses for ever)."""
    import base64
    import json

    site = tmp_path / "site"
    clock = FakeClock(1_800_000_000.0)
    publish(slide_folder, site, signer=signer, clock=clock)
    envelope = json.loads((site / MANIFEST).read_bytes())
    body = json.loads(base64.b64decode(envelope["manifest"]["body"]))
    body["serial"] = (1 << 63) - 2
    envelope["manifest"]["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    (site / MANIFEST).write_text(json.dumps(envelope))
    clock.advance(60)
    make_picture(slide_folder / "answers" / "new.png", size=(40, 30))
    result = publish(slide_folder, site, signer=signer, clock=clock)
    assert result.serial == signed_manifest(site, signer).serial == 1_800_000_060_000
    assert "not signed by a key of this key list" in caplog.text


def test_a_new_key_list_restarts_the_serial_and_boxes_accept_it(tmp_path, slide_folder, signer):
    """After a leaked key pushed the serial to the end, publishing under a renewed key list starts again."""
    import dataclasses
    import datetime as dt

    from kiosk.boundary.signing import Signer, new_private_key, public_bytes, sign_key_list, verify
    from kiosk.core.trust import KeyList, judge, key_id

    site = tmp_path / "site"
    clock = FakeClock(1_800_000_000.0)
    publish(slide_folder, site, signer=signer, clock=clock)
    box = judge((site / MANIFEST).read_bytes(), signer.root, verify, None, dt.datetime.now(dt.timezone.utc), True,
                1 << 30).record
    box = dataclasses.replace(box, serial=(1 << 63) - 1)  # what the box holds after the leaked key's manifest
    new_key = new_private_key()
    keys = KeyList(signer.key_list.version + 1, signer.key_list.expires,
                   {key_id(public_bytes(new_key)): public_bytes(new_key)})
    root = signer.root_private
    renewed = Signer(new_key, sign_key_list(root, keys), keys)
    clock.advance(60)
    result = publish(slide_folder, site, signer=renewed, clock=clock)
    assert result.serial == 1_800_000_060_000
    verdict = judge((site / MANIFEST).read_bytes(), signer.root, verify, box, dt.datetime.now(dt.timezone.utc), True,
                    1 << 30)
    assert verdict.accepted, verdict.refused


@pytest.mark.parametrize("hostile", ["fifo", "zero"])
def test_a_fifo_or_endless_file_at_the_sites_manifest_never_stops_publishing(tmp_path, slide_folder, signer, hostile):
    """Whoever can write the web server's folder puts a FIFO (a read that never ends) or a link to /dev/zero
    (endless bytes) in manifest.json's place: publish, the takedowns and the re-signing timer must go on."""
    site = tmp_path / "site"
    publish(slide_folder, site, signer=signer)
    (site / MANIFEST).unlink()
    if hostile == "fifo":
        os.mkfifo(site / MANIFEST)
    else:
        (site / MANIFEST).symlink_to("/dev/zero")
    (slide_folder / "answers" / "a1.jpg").unlink()  # a takedown
    result = publish(slide_folder, site, signer=signer)
    assert result.changed and "answers/a1.jpg" not in {f.path for f in signed_manifest(site, signer).files}


# --- videos -----------------------------------------------------------------------------------------------

def test_a_phone_video_is_published_as_an_upright_h264_rendition_without_its_metadata_or_sound(tmp_path,
                                                                                                monkeypatch):
    from kiosk.picture import videorendition
    from kiosk.picture.rendition import RenditionSettings
    from kiosk.picture.video import probe_video
    from tests.clips import make_clip

    source = tmp_path / "slides"
    place = {"location": "+37.5665+126.9780/", "com.apple.quicktime.make": "PhoneMaker"}
    make_clip(source / "answers" / "portrait.mov", codec="libx265", size=(320, 180), frames=30, rate=60,
              rotation=-90, audio=True, metadata=place)
    make_clip(source / "answers" / "loud.mp4", size=(160, 90), frames=10, rate=25, audio=True)
    (source / "answers" / "loud.yaml").write_text("caption: with its sound\naudio: true\n", encoding="utf-8")
    site = tmp_path / "site"
    encoded = []
    real = videorendition.transcode
    monkeypatch.setattr(videorendition, "transcode", lambda *a, **k: encoded.append(a[0]) or real(*a, **k))
    publish(source, site, renditions=RenditionSettings(panels=((320, 180),)))
    paths = {entry.path: entry for entry in manifest_of(site).files}
    assert set(paths) == {"answers/portrait.mp4", "answers/loud.mp4", "answers/loud.yaml"}
    portrait = probe_video(site / OBJECTS / paths["answers/portrait.mp4"].sha256)
    assert portrait.codec == "h264" and portrait.rotation == 0
    assert portrait.size == (180, 320)  # upright in its pixels, and covering the 320x180 panel
    assert portrait.frame_rate == 30 and portrait.audio is None and portrait.private_metadata == ()
    data = (site / OBJECTS / paths["answers/portrait.mp4"].sha256).read_bytes()
    assert b"PhoneMaker" not in data and b"+37.5665" not in data
    assert probe_video(site / OBJECTS / paths["answers/loud.mp4"].sha256).audio == "aac"  # its sidecar asked
    assert len(encoded) == 2

    again = publish(source, site, renditions=RenditionSettings(panels=((320, 180),)))
    assert len(encoded) == 2 and again.objects_added == 0 and not again.changed  # made once, found by hash
    publish(source, site)  # --originals: the file as it is
    original = next(e for e in manifest_of(site).files if e.path == "answers/portrait.mov")
    assert sha256_of(source / "answers" / "portrait.mov") == original.sha256


def test_a_video_no_box_could_play_is_left_out_and_named_and_the_rest_publish(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings
    from tests.clips import make_audio_only

    source = tmp_path / "slides"
    (source / "answers").mkdir(parents=True)
    make_audio_only(source / "answers" / "sound-only.mp4")
    make_picture(source / "contribute" / "c1.png", size=(64, 36))
    publish(source, tmp_path / "site", renditions=RenditionSettings(panels=((64, 36),)))
    assert [e.path for e in manifest_of(tmp_path / "site").files] == ["contribute/c1.webp"]
    assert "not published: answers/sound-only.mp4: audio only, no video stream" in caplog.text
