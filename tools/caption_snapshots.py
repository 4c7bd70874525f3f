"""Draws the caption snapshots of docs/content.md with `kiosk snapshot`, as a tall case shows them.

    .venv/bin/python tools/caption_snapshots.py

Two answers on a portrait panel (1080x1920, the tall cases' shape), each on a
demo photo with the bundled config.yaml's settings:

* docs/snapshot-caption-tall-case.png: a long bilingual answer, three English
  sentences, their Korean, and the name;
* docs/snapshot-caption-burmese.png: Article 1 of the UDHR in Burmese (from
  tests/data/udhr) and its Korean line, whose stacked marks used to reach
  into the next line.

Each is rendered by the kiosk's own `snapshot` command from a slide folder
made for it, so the picture is what a box would show.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONG_ANSWER = (
    "“To me, migration means hoping together. Migrants bring new languages, new ideas and skills to Seoul, "
    "and every one of them makes our city stronger. Together we are building a Seoul where everyone belongs.”\n"
    "“저에게 이주란 함께 희망하는 것입니다. 이주민은 서울에 새로운 언어와 생각, 기술을 가져오고, 우리 도시를 더 "
    "강하게 만듭니다. 우리는 함께 모두가 어울려 사는 서울을 만들어 가고 있습니다.”\n"
    "— Mayor of Seoul · 서울특별시장"
)


def snapshot(photo: str, caption: str, lang: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kiosk-caption-snapshot-") as work:
        folder = Path(work) / "slides"
        (folder / "answers").mkdir(parents=True)
        picture = folder / "answers" / Path(photo).name
        shutil.copy(ROOT / "slides" / "answers" / photo, picture)
        picture.with_suffix(".yaml").write_text(json.dumps({"caption": caption, "lang": lang}, ensure_ascii=False),
                                                encoding="utf-8")
        text = (ROOT / "config.yaml").read_text(encoding="utf-8").replace("folder: slides", f"folder: {folder}")
        text = text.replace("dir: state", f"dir: {Path(work) / 'state'}")
        config = Path(work) / "config.yaml"
        config.write_text(text, encoding="utf-8")
        frames = Path(work) / "out"
        subprocess.run([sys.executable, "-m", "kiosk", "snapshot", "--config", str(config), "--out", str(frames),
                        "--size", "1080x1920", "--slide", f"answers/{picture.name}"], check=True, cwd=ROOT)
        shutil.copy(next(frames.glob("*.png")), out)
    print(f"wrote {out.relative_to(ROOT)}")


def main() -> int:
    burmese = json.loads((ROOT / "tests" / "data" / "udhr" / "article1.json").read_text(encoding="utf-8"))
    snapshot("answer-001.jpg", LONG_ANSWER, "en", ROOT / "docs" / "snapshot-caption-tall-case.png")
    snapshot("answer-029.jpg", f"{burmese['languages']['my']['text']}\n— 세계 이주민의 날", "my",
             ROOT / "docs" / "snapshot-caption-burmese.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
