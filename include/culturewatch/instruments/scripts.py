"""Which writing system a text is in, from the Unicode names of its letters."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from culturewatch.reference.languages import Script

# Unicode character-name prefixes → script. Kana counts as Japanese; Han is shared by
# Chinese and Japanese.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("CJK UNIFIED IDEOGRAPH", "Han"),
    ("CJK COMPATIBILITY IDEOGRAPH", "Han"),
    ("HIRAGANA", "Kana"),
    ("KATAKANA", "Kana"),
    ("HALFWIDTH KATAKANA", "Kana"),
    ("HANGUL", "Hangul"),
    ("FULLWIDTH LATIN", "Latin"),
    ("LATIN", "Latin"),
    ("CYRILLIC", "Cyrillic"),
    ("ARABIC", "Arabic"),
    ("DEVANAGARI", "Devanagari"),
    ("BENGALI", "Bengali"),
    ("THAI", "Thai"),
)
ACCEPTED: dict[Script, frozenset[str]] = {
    "Arabic": frozenset({"Arabic"}),
    "Bengali": frozenset({"Bengali"}),
    "Cyrillic": frozenset({"Cyrillic"}),
    "Devanagari": frozenset({"Devanagari"}),
    "Han": frozenset({"Han"}),
    "Hangul": frozenset({"Hangul"}),
    "Japanese": frozenset({"Kana", "Han"}),
    "Latin": frozenset({"Latin"}),
    "Thai": frozenset({"Thai"}),
}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def script_of(char: str) -> str | None:
    """The script of one letter, or None for non-letters and scripts we do not track."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    for prefix, script in _PREFIXES:
        if name.startswith(prefix):
            return script
    return "Other"


def script_counts(text: str) -> Counter[str]:
    return Counter(s for s in map(script_of, _PLACEHOLDER.sub("", text)) if s is not None)


def in_script(text: str, expected: Script, share: float = 0.9) -> bool:
    """True when at least `share` of the letters (placeholders aside) are in the expected script."""
    counts = script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return True
    return sum(counts[s] for s in ACCEPTED[expected]) / total >= share
