"""Writes article1.json: Article 1 of the Universal Declaration of Human Rights in the languages below.

    python tests/data/udhr/extract.py PATH-TO-A-CLONE-OF-github.com/eric-muller/udhr

The text comes from the "UDHR in XML" project (eric-muller/udhr, which
follows OHCHR's UDHR Translation Project); see README.md beside this file.
Each language is one paragraph, the way a #MigrationMeans answer comes, in
the scripts of Korea's migrant communities and of the wider world.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

# file key in data/udhr -> (BCP 47 tag the kiosk's sidecar would carry, English name)
LANGUAGES = {
    "kor": ("ko", "Korean"), "eng": ("en", "English"), "vie": ("vi", "Vietnamese"),
    "cmn_hans": ("zh-Hans", "Chinese (Simplified)"), "cmn_hant": ("zh-Hant", "Chinese (Traditional)"),
    "jpn": ("ja", "Japanese"), "tha": ("th", "Thai"), "khm": ("km", "Khmer"), "mya": ("my", "Burmese"),
    "lao": ("lo", "Lao"), "tgl": ("tl", "Tagalog"), "ind": ("id", "Indonesian"),
    "uzn_latn": ("uz-Latn", "Uzbek (Latin)"), "rus": ("ru", "Russian"), "kaz": ("kk", "Kazakh"),
    "kir": ("ky", "Kyrgyz"), "khk": ("mn", "Mongolian (Cyrillic)"), "tgk": ("tg", "Tajik"),
    "ukr": ("uk", "Ukrainian"), "nep": ("ne", "Nepali"), "hin": ("hi", "Hindi"), "ben": ("bn", "Bengali"),
    "sin": ("si", "Sinhala"), "tam": ("ta", "Tamil"), "tel": ("te", "Telugu"), "guj": ("gu", "Gujarati"),
    "pan": ("pa", "Punjabi (Gurmukhi)"), "urd": ("ur", "Urdu"), "pbu": ("ps", "Pashto"),
    "pes_1": ("fa", "Persian"), "arb": ("ar", "Arabic"), "heb": ("he", "Hebrew"), "bod": ("bo", "Tibetan"),
    "amh": ("am", "Amharic"), "tur": ("tr", "Turkish"), "fra": ("fr", "French"), "spa": ("es", "Spanish"),
    "deu_1996": ("de", "German"), "ell_monotonic": ("el", "Greek"), "por_BR": ("pt-BR", "Portuguese"),
    "swh": ("sw", "Swahili"), "kat": ("ka", "Georgian"), "hye": ("hy", "Armenian"),
}
NS = "{http://efele.net/udhr}"


def article_1(xml: str) -> str:
    root = ElementTree.fromstring(xml)
    for article in root.iter(f"{NS}article"):
        if article.get("number") == "1":
            paras = [" ".join("".join(p.itertext()).split()) for p in article.iter(f"{NS}para")]
            return " ".join(paras)
    raise ValueError("no article 1")


def main() -> int:
    clone = Path(sys.argv[1])
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip()
    texts = {}
    for key, (tag, name) in LANGUAGES.items():
        path = clone / "data" / "udhr" / f"udhr_{key}.xml"
        if path.is_file():
            xml = path.read_text(encoding="utf-8")
        else:  # a bare mirror: read from git
            xml = subprocess.run(["git", "-C", str(clone), "show", f"HEAD:data/udhr/udhr_{key}.xml"],
                                 capture_output=True, text=True, check=True).stdout
        texts[tag] = {"name": name, "udhr": key, "text": article_1(xml)}
    out = Path(__file__).with_name("article1.json")
    out.write_text(json.dumps({"source": "github.com/eric-muller/udhr", "commit": commit, "article": 1,
                               "languages": texts}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(texts)} languages -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
