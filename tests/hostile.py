"""Hypothesis strategies for hostile input: what a sync, a USB stick or an attacker may bring."""

from __future__ import annotations

from hypothesis import strategies as st

# YAML's special values and shapes that have broken parsers before.
YAML_SPECIALS = [
    ".inf", "-.inf", ".nan", ".NaN", "1.0e12", "1e400", "-0", "0x1F", "0o17", "~", "null", "yes", "no", "on",
    "2026-13-45", "2026-12-18 25:00", "!!python/object:os.system {}", "!!binary aGVsbG8=", "!!float 1e400",
    "&a [1, 2]", "*a", "*missing", "[" * 300 + "]" * 300, "{" * 300 + "}" * 300, "'" + "x" * 5000 + "'",
    "\x00", "\ufeff", "\u202e", "\x1b[31m", "---\n---", "? [a]\n: b",
]


def yaml_scalars() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(YAML_SPECIALS),
        st.text(max_size=40),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def alias_bomb(levels: int, width: int) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@st.composite
def yaml_documents(draw: st.DrawFn, keys: list[str]) -> str:
    """A YAML mapping whose keys are mostly known ones, with hostile values and structure."""
    chosen = draw(st.lists(st.one_of(st.sampled_from(keys), st.text(max_size=12)), max_size=6))
    lines = []
    for key in chosen:
        shape = draw(st.integers(0, 5))
        value = draw(yaml_scalars())
        if shape == 0:
            lines.append(f"{key}: {value}")
        elif shape == 1:
            lines.append(f"{key}:\n  - {value}\n  - {draw(yaml_scalars())}")
        elif shape == 2:
            depth = draw(st.integers(1, 200))
            lines.append(f"{key}: " + "[" * depth + "]" * depth)
        elif shape == 3:
            lines.append(f"{key}: {{sub: {value}}}")
        elif shape == 4:
            lines.append(draw(st.text(max_size=30)))
        else:
            lines.append(alias_bomb(draw(st.integers(1, 9)), draw(st.integers(1, 9))))
    return "\n".join(lines) + "\n"


def json_texts() -> st.SearchStrategy[str]:
    """JSON-ish text: real JSON values, special numbers, deep nesting, torn lines."""
    leaf = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    )
    values = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=20)
    import json

    return st.one_of(
        values.map(json.dumps),
        st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "[" * 3000, "[" * 2000 + "]" * 2000,
                         '{"time": "2026-12-18T10:00:00+09:00", "seconds": 1e400}', "\udcff", ""]),
        st.text(max_size=60),
    )


def file_names() -> st.SearchStrategy[bytes]:
    """Raw file names as a filesystem may hold them: any bytes but NUL and '/'."""
    return st.one_of(
        st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\0", b"_").replace(b"/", b"_")),
        st.sampled_from(["사진-답변.jpg".encode("cp949"), "답변.jpg".encode("euc-kr"), b"\xff\xfe.jpg",
                         b"a\x1b[2J.jpg"]),
    ).filter(lambda b: b not in (b".", b".."))
