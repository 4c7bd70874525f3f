"""Writes words.json: where the words of the Thai, Lao, Khmer and Burmese texts of article1.json end.

    python tests/data/udhr/words.py

The words come from headless Chromium's `Intl.Segmenter` (its own ICU and
dictionaries, a different build from the system's ICU the kiosk uses), the
segmentation browsers break these scripts' lines by. Where Chromium's
dictionary joins two words that a reader separates, CORRECTIONS adds the
boundary, with the words and what they mean; the test of the kiosk's line
breaks (tests/test_captions_corpus.py) takes these offsets as the words.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = ("th", "lo", "km", "my")
# lang -> (text before the boundary, text after it): words Chromium 156's Khmer dictionary runs together.
CORRECTIONS = {
    "km": [
        ("វិចារណញ្ញាណនិង", "សតិ"),  # និង "and" | សតិ "mindfulness"
        ("ញៈជាប់", "ពីកំណើត"),  # ជាប់ "attached" | ពី "from" (កំណើត "birth")
        ("ភាតរភាពជា", "បងប្អូន"),  # ជា "as" | បងប្អូន "siblings"
    ],
}


def main() -> int:
    texts = {lang: text["text"] for lang, text in
             json.loads((HERE / "article1.json").read_text(encoding="utf-8"))["languages"].items()
             if lang in LANGUAGES}
    page = ("<html><body><pre id=out></pre><script>const texts = " + json.dumps(texts, ensure_ascii=False) + ";"
            "const out = {}; for (const [lang, text] of Object.entries(texts)) {"
            " out[lang] = [...new Intl.Segmenter(lang, {granularity: 'word'}).segment(text)].map(s => s.index); }"
            "document.getElementById('out').textContent = JSON.stringify(out);</script></body></html>")
    with tempfile.TemporaryDirectory() as work:
        html = Path(work) / "words.html"
        html.write_text(page, encoding="utf-8")
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={work}",
                              "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120,
                             check=True).stdout
        version = subprocess.run(["chromium", "--version"], capture_output=True, text=True, check=False).stdout
    found = json.loads(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S).group(1))
    words = {}
    for lang in LANGUAGES:
        text = texts[lang]
        ends = set(found[lang][1:]) | {len(text)}
        for before, after in CORRECTIONS.get(lang, []):
            at = text.index(before + after) + len(before)
            ends.add(at)
        words[lang] = sorted(ends)
    out = HERE / "words.json"
    out.write_text(json.dumps({"segmenter": version.strip().split(" built")[0], "corrections": CORRECTIONS,
                               "word_ends": words}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"word ends of {', '.join(LANGUAGES)} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
