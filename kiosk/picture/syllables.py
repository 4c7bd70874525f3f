"""Syllables of the scripts written without spaces: the smallest piece a line or an ellipsis may cut.

Unicode's grapheme clusters (UAX #29) keep a mark on its letter, but they are
finer than a reader's syllable in Thai, Lao, Khmer and Burmese:

* Thai and Lao write some vowels before the consonant they follow in speech
  (เ แ โ ใ ไ, ເ ແ ໂ ໃ ໄ): such a vowel is its own cluster, and a break after
  it tears "เ|กียรติ" apart;
* spacing vowels after a consonant (า ำ ะ, າ ຳ ະ), Burmese vowel signs and
  medials, and the Burmese visarga း (U+1038) start clusters of their own,
  so an ellipsis could cut "လည်းကောင်|း";
* a consonant killed by a mark (Burmese asat ်, Thai thanthakhat ์) closes
  the syllable before it;
* a stacking sign (Khmer coeng ្, Burmese virama ္) joins the next consonant
  below the one before it.

`syllables(text)` glues the clusters back into syllables by these rules; in
every other script a syllable is a grapheme cluster. Where a line may break
between words comes from ICU's dictionaries (kiosk.picture.icu); syllables
are the finer cut, for a word wider than a line and for the ellipsis.
"""

from __future__ import annotations

from uniseg.graphemecluster import grapheme_clusters

# Vowels written before their consonant: never the end of a syllable.
_LEADING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")
# Stacking signs: the next consonant is drawn below this one, in the same syllable.
_STACKERS = frozenset("\u17d2\u1039\u1a60")
# Killers: the consonant they sit on closes the syllable before it (Burmese virama too: the consonant it
# kills ends the syllable before, and the next is stacked below it).
_KILLERS = frozenset("\u103a\u1039\u0e4c\u0ecc")
# Thai and Lao diphthongs: เ-ีย, เ-ือ, -ัว (and Lao's เ-ຍ) end in a letter that is part of the vowel.
_DIPHTHONG_MARKS = frozenset("\u0e35\u0e37\u0e31\u0eb5\u0eb7\u0eb1")
_DIPHTHONG_ENDS = frozenset("\u0e22\u0e2d\u0e27\u0e8d\u0ead\u0ea7")


def _follows(char: str) -> bool:
    """A character that belongs to the syllable before it: a dependent vowel, medial, tone or sign, or the
    scripts' own full stops, which never begin a line."""
    code = ord(char)
    return (
        code in (0x0E30, 0x0E32, 0x0E33, 0x0E45, 0x0E46)  # Thai: sara a, aa, am, lakkhangyao, mai yamok
        or code in (0x0EB0, 0x0EB2, 0x0EB3, 0x0EC6)  # Lao: the same, and ko la
        or 0x102B <= code <= 0x103E  # Myanmar: vowel signs, anusvara, dot below, visarga, asat, medials
        or code in (0x104A, 0x104B)  # Myanmar section marks ၊ ။
        or 0x1056 <= code <= 0x1059 or 0x105E <= code <= 0x1060 or 0x1062 <= code <= 0x1064
        or 0x1067 <= code <= 0x106D or 0x1071 <= code <= 0x1074 or 0x1082 <= code <= 0x108D
        or code == 0x108F or 0x109A <= code <= 0x109D  # Myanmar signs of Mon, Shan and Karen
        or 0x17B6 <= code <= 0x17D3  # Khmer: dependent vowels and signs
        or code in (0x17D4, 0x17D5)  # Khmer khan ។ and bariyoosan ៕
    )


def glued(before: str, after: str) -> bool:
    """Whether the cluster `after` belongs to the same syllable as the cluster `before`."""
    if not before or not after:
        return False
    if before[-1] in _LEADING or before[-1] in _STACKERS:
        return True
    if _follows(after[0]):
        return True
    if after[0] in _DIPHTHONG_ENDS and len(after) == 1 and any(char in _DIPHTHONG_MARKS for char in before):
        return True
    return any(char in _KILLERS for char in after)


def syllables(text: str) -> list[str]:
    """`text` cut into syllables (grapheme clusters glued where they belong together); joined, the text."""
    pieces: list[str] = []
    for cluster in grapheme_clusters(text):
        if pieces and glued(pieces[-1], cluster):
            pieces[-1] += cluster
        else:
            pieces.append(cluster)
    return pieces
