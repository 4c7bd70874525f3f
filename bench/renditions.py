"""Issue 17's figures: phone photos published as originals and as renditions, side by side.

    .venv/bin/python bench/renditions.py [--photos 200] [--runs 7]

Makes `--photos` distinct 12-megapixel phone photos (4000x3000 JPEG at
quality 92, tagged Display P3, with a GPS position and a serial number) and
ten 12-megapixel HEICs, then measures, in one run:

* bytes per photo: the originals, and the renditions `kiosk publish` makes
  for a 1920x1080 fleet (JPEG, quality 90);
* publishing: seconds per photo to make a rendition (decode, upright, sRGB,
  resize, encode), once; a publish with nothing changed makes none;
* decode time on a box at 1920x1080 (bench/decode.py's decode and fit, the
  median of `--runs`, taking turns): an original JPEG, the same without its
  colour profile (what the conversion to sRGB costs), a rendition, and an
  original HEIC;
* sync time for all photos: `kiosk sync --once` of an empty box folder from
  a real nginx on loopback, for each site, and the time the bytes would take
  on a 20 Mbit/s link (loopback does not show the network);
* a visual check: docs/snapshot-renditions.png, the same slide rendered by
  `kiosk snapshot` from the original and from the rendition, with 1:1 crops.

Writes bench/results/renditions.json. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import write_result

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.picture.decoder import decode_picture
from kiosk.picture.rendition import RenditionSettings, make_rendition
from tests.colour import display_p3_profile
from tests.servers import Nginx
from kiosk.picture.decoder import register_heif

register_heif()  # the HEICs this bench writes

PANEL = (1920, 1080)
LINK_MBIT = 20


def phone_photos(folder: Path, count: int) -> list[Path]:
    """`count` distinct 12-megapixel phone JPEGs: ten scenes, each shifted and tinted a little."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "slides" / "answers").glob("*.jpg"))[:10]
    scenes = [Image.open(s).convert("RGB").resize((4100, 3100), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
              for s in sources]
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0xA431] = "PhoneMaker", "Phone 15", "SERIAL-0042"
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    made = []
    for index in range(count):
        scene = scenes[index % len(scenes)]
        shift = index // len(scenes)
        photo = scene.crop((shift * 5 % 100, shift * 3 % 100, shift * 5 % 100 + 4000, shift * 3 % 100 + 3000))
        path = folder / f"photo-{index:03d}.jpg"
        photo.save(path, format="JPEG", quality=92, exif=exif.tobytes(), icc_profile=display_p3_profile())
        made.append(path)
    return made


def heic_photos(folder: Path, jpegs: list[Path]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index, source in enumerate(jpegs[:10]):
        path = folder / f"photo-{index:03d}.heic"
        with Image.open(source) as image:
            image.save(path, format="HEIF", quality=80, icc_profile=display_p3_profile())
        made.append(path)
    return made


def decode_medians(paths: dict[str, Path], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():  # taking turns: a noisy moment falls on all alike
            start = time.perf_counter()
            picture = decode_picture(path, 100_000_000, screen=PANEL)
            fitted = picture.resize((round(picture.width * PANEL[1] / picture.height), PANEL[1]),
                                    Image.Resampling.BOX)
            times[name].append(time.perf_counter() - start)
            fitted.close()
    return {name: round(1000 * statistics.median(values), 1) for name, values in times.items()}


def publish(source: Path, site: Path, originals: bool) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kiosk", "publish", str(source), "--out", str(site)]
                   + (["--originals"] if originals else []), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def sync_seconds(site: Path, work: Path) -> float:
    for path in site.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    server = Nginx(site)
    try:
        config = work / "box.yaml"
        config.write_text(f"slides:\n  folder: {work / 'box-slides'}\nstate:\n  dir: {work / 'box-state'}\n"
                          f"sync:\n  url: {server.url}\n", encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kiosk", "sync", "--once", "--config", str(config)], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started
    finally:
        server.stop()
        shutil.rmtree(work / "box-slides", ignore_errors=True)
        shutil.rmtree(work / "box-state", ignore_errors=True)


def side_by_side(original: Path, rendition: Path, work: Path, out: Path) -> None:
    """`kiosk snapshot` of the same answer slide from each file, whole and as a 1:1 crop."""
    shots = []
    for name, picture in (("original", original), ("rendition", rendition)):
        slides = work / f"snap-{name}"
        (slides / "answers").mkdir(parents=True)
        shutil.copy(picture, slides / "answers" / ("answer" + picture.suffix))
        config = work / f"snap-{name}.yaml"
        config.write_text(f"slides:\n  folder: {slides}\nstate:\n  dir: {work / 'snap-state'}\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "kiosk", "snapshot", "--config", str(config), "--out",
                        str(work / f"shot-{name}"), "--count", "1", "--size", f"{PANEL[0]}x{PANEL[1]}"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        shots.append(Image.open(work / f"shot-{name}" / "0001.png").convert("RGB"))
    half = (PANEL[0] // 2, PANEL[1] // 2)
    crop = (760, 340, 1160, 640)  # 400x300 of the middle, at the panel's own pixels
    sheet = Image.new("RGB", (half[0] * 2 + 30, half[1] + 30 + 600 + 10), (40, 40, 40))
    for column, shot in enumerate(shots):
        sheet.paste(shot.resize(half, Image.Resampling.LANCZOS), (column * (half[0] + 30), 0))
        sheet.paste(shot.crop(crop).resize((800, 600), Image.Resampling.NEAREST), (column * (half[0] + 30) + 80,
                                                                                   half[1] + 30))
    sheet.save(out, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--snapshot", type=Path, default=ROOT / "docs" / "snapshot-renditions.png",
                        help="where the side-by-side picture goes (default: the one docs/content.md shows)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-renditions-", dir=ROOT / "bench"))
    try:
        source = work / "source"
        jpegs = phone_photos(source / "answers", args.photos)
        heics = heic_photos(work / "heic", jpegs)
        originals_site, renditions_site = work / "site-originals", work / "site-renditions"
        publish_originals = publish(source, originals_site, originals=True)
        publish_renditions = publish(source, renditions_site, originals=False)
        publish_again = publish(source, renditions_site, originals=False)
        original_sizes = [p.stat().st_size for p in jpegs]
        manifest = json.loads((renditions_site / "manifest.json").read_text())
        rendition_sizes = [item["size"] for item in manifest["files"]]
        heic_sizes = [p.stat().st_size for p in heics]
        settings = RenditionSettings(panels=(PANEL,))
        heic_rendition = [len(make_rendition(p, settings)) for p in heics]

        untagged = work / "untagged.jpg"
        with Image.open(jpegs[0]) as image:
            image.save(untagged, format="JPEG", quality=92)
        first = manifest["files"][0]
        rendition = work / "rendition.jpg"
        shutil.copy(renditions_site / "files" / first["sha256"], rendition)
        decode = decode_medians({"original JPEG, Display P3": jpegs[0], "original JPEG, untagged": untagged,
                                 "rendition JPEG": rendition, "original HEIC, Display P3": heics[0]}, args.runs)
        sync = {"originals": round(sync_seconds(originals_site, work), 2),
                "renditions": round(sync_seconds(renditions_site, work), 2)}
        side_by_side(jpegs[0], rendition, work, args.snapshot)
        result = {
            "photos": args.photos,
            "bytes_per_photo": {"original JPEG": round(statistics.mean(original_sizes)),
                                "rendition of it": round(statistics.mean(rendition_sizes)),
                                "original HEIC": round(statistics.mean(heic_sizes)),
                                "rendition of the HEIC": round(statistics.mean(heic_rendition))},
            "publish_seconds": {"originals": round(publish_originals, 1), "renditions": round(publish_renditions, 1),
                                "renditions_per_photo": round(publish_renditions / args.photos, 3),
                                "again_with_nothing_changed": round(publish_again, 2)},
            "decode_ms_at_1920x1080": decode,
            "sync_seconds_loopback": sync,
            f"sync_seconds_at_{LINK_MBIT}_mbit": {
                "originals": round(sum(original_sizes) * 8 / (LINK_MBIT * 1e6)),
                "renditions": round(sum(rendition_sizes) * 8 / (LINK_MBIT * 1e6))},
            "site_bytes": {"originals": sum(original_sizes), "renditions": sum(rendition_sizes)},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_result(__file__, result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
