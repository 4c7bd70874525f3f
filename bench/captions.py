"""What a caption costs to lay out and draw, in each script of the answers, beside today's code path.

    .venv/bin/python bench/captions.py [--runs 15] [--size 1920x1080]

For each language: the median time to compose a finished frame's caption
band (clean, itemize, break, shape, draw) on a plain 1920x1080 frame, the
first time the caption is shown and again (paragraphs once itemized are
remembered), and,
beside it in the same run, the old code path: one font per paragraph, drawn
by Pillow without font fallback, bidi reordering or cluster-aware breaking
(the "naive" column; it draws empty boxes for scripts its font lacks, so it
is a floor, not a rival). The frame itself (decode, fit, blurred backdrop)
is measured by bench/decode.py. Writes bench/results/captions.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from record import write_result

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.layout import Layout
from kiosk.picture.compose import compose_frame
from kiosk.picture.fonts import FontBook

CAPTIONS = {
    "English + Korean": "“To me, migration means hoping together.”\n“저에게 이주란 함께 희망하는 것입니다.”\n"
                        "— Mayor of Seoul",
    "Vietnamese + Korean": "“Di cư nghĩa là một quê hương thứ hai.”\n“이주란 두 번째 고향입니다.”\n— Lan, Viet Nam",
    "Chinese": "“移民就是让梦想去旅行。”\n“이주란 여행하는 꿈입니다.”\n— Chen, China",
    "Thai": "“การย้ายถิ่นฐานคือเพื่อนใหม่”\n“이주란 새로운 친구입니다.”\n— Somchai, Thailand",
    "Khmer": "“ការធ្វើចំណាកស្រុក មានន័យថា ក្តីសង្ឃឹម។”\n“이주란 희망입니다.”\n— Sokha, Cambodia",
    "Nepali": "“बसाइँसराइ भनेको अझ ठूलो संसार हो।”\n“이주란 더 넓은 세상입니다.”\n— Tenzin, Nepal",
    "Sinhala": "“සංක්\u200dරමණය යනු නව ආරම්භයකි.”\n“이주란 새로운 시작입니다.”\n— Nimal, Sri Lanka",
    "Burmese": "“ရွှေ့ပြောင်းနေထိုင်ခြင်းသည် သည်းခံခြင်းနှင့် မျှော်လင့်ချက်ဖြစ်သည်။”\n“이주란 인내와 희망입니다.”\n— Aung, Myanmar",
    "Bengali": "“অভিবাসন মানে কঠোর পরিশ্রম আর বড় স্বপ্ন।”\n“이주란 성실함과 큰 꿈입니다.”\n— Rahim, Bangladesh",
    "Urdu": "“ہجرت کا مطلب ہے احترام۔”\n“이주란 존중입니다.”\n— Hamid, Pakistan",
    "Mongolian (Cyrillic)": "“Миний хүүхдүүд хоёр хэлээр ярьдаг.”\n“이주란 우리 아이들이 두 언어를 하는 것입니다.”\n"
                            "— Bolor",
}


def naive_band(frame: Image.Image, caption: str, font, px: int) -> None:
    """The code path before: each paragraph drawn in one font, as Pillow lays it out."""
    draw = ImageDraw.Draw(frame)
    for index, line in enumerate(caption.split("\n")):
        draw.text((frame.width / 2, frame.height - 300 + index * px * 1.35), line, font=font, fill=(255, 255, 255),
                  anchor="ma", stroke_width=1, stroke_fill=(0, 0, 0))


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(part) for part in args.size.split("x"))
    layout = Layout(size=size, font=DEFAULT_FONT, fit="contain", caption_scale=0.045)
    fonts = FontBook(DEFAULT_FONT)
    px = layout.caption_px
    plain = Image.new("RGB", size, (40, 60, 90))
    rows = []
    for language, caption in CAPTIONS.items():
        compose_frame(plain, caption, "answer", layout, fonts)  # the fonts loaded, as in a running worker

        # Each timed call binds this turn's caption, so none can time another turn's.
        def first_showing(caption: str = caption) -> None:
            fonts.itemized.clear()  # laid out and measured from scratch, as the first time a caption is shown
            fonts.widths.clear()
            compose_frame(plain, caption, "answer", layout, fonts)

        first = median_ms(first_showing, args.runs)
        again = median_ms(lambda caption=caption: compose_frame(plain, caption, "answer", layout, fonts), args.runs)
        without = median_ms(lambda: compose_frame(plain, "", "answer", layout, fonts), args.runs)
        naive = median_ms(lambda caption=caption: naive_band(plain.copy(), caption, fonts.at(px), px), args.runs)
        rows.append({"language": language, "first_ms": round(first - without, 2), "again_ms": round(again - without, 2),
                     "naive_ms": naive})
        print(f"{language:<22} caption band: first showing {first - without:5.1f} ms, again {again - without:5.1f} ms"
              f"   naive {naive:5.1f} ms")
    write_result(__file__, {"size": args.size, "runs": args.runs, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
