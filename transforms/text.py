"""Text cleaning for archive strings: HTML entities, wiki markup, whitespace, comparison keys."""
from __future__ import annotations

import html
import re
import unicodedata

_DEAD_LINK = re.compile(r"\{\{[^{}]*\}\}")
_CONVERT = re.compile(r"\b(\d[\d,.]*)\|([A-Za-z]+)\|[A-Za-z]+\b")  # 435|mi|km -> 435 mi
_RAW_LINK = re.compile(r"\[https?:[^\]]*\]")  # raw citation links: [http://... (BBC)]
_EDIT_BRACKET = re.compile(r"\[([A-Za-z])\]")  # [i]f -> if
_BOLD_ITALIC = re.compile(r"'{2,}")
# skeleton() in one bytes.translate of the folded bytes: upper case to lower, and every byte that is
# not an ASCII letter or digit, or is a vowel (either case), deleted (delete looks at the byte before mapping).
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_NOT_CONSONANT_OR_DIGIT = bytes(
    c for c in range(256) if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) or chr(c) in "aeiouyAEIOUY"
)


def decode_entities(text: str) -> str:
    """Decode HTML entities (``&#39; &hellip; &nbsp;`` ...) and turn no-break spaces into spaces."""
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\xa0", " ")


def strip_wiki(text: str) -> str:
    """Remove wiki markup left in display text; keeps the words a reader needs."""
    if "{{" in text:
        text = _DEAD_LINK.sub("", text)
    if "|" in text:
        text = _CONVERT.sub(r"\1 \2", text)
    if "[" in text:
        text = _RAW_LINK.sub("", text)
        text = _EDIT_BRACKET.sub(r"\1", text)
    if "''" in text:  # runs of 2+ quotes; when all runs are pairs a plain replace does it
        text = text.replace("''", "") if "'''" not in text else _BOLD_ITALIC.sub("", text)
    return text


def squash(text: str) -> str:
    """Collapse runs of whitespace (tabs included) to one space and strip the ends."""
    return " ".join(text.split())  # str.split() splits on exactly what `\s` matches


def clean(text: str | None) -> str | None:
    """Display text: entities decoded, wiki markup stripped, whitespace collapsed; None when empty."""
    if text is None:
        return None
    # Fast path (~95% of strings): nothing to decode, strip or collapse. These substring tests run in
    # C, several times faster than testing each character against a set of markup characters.
    if not ("&" in text or "{" in text or "|" in text or "[" in text or "''" in text or "  " in text
            or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text):
        return text.strip() or None
    out = squash(strip_wiki(decode_entities(text)))
    return out or None


def _ascii_bytes(text: str) -> bytes:
    """ASCII bytes of the NFKD form of ``text`` (é -> e); characters with no ASCII form are dropped."""
    if not text.isascii():  # NFKD leaves ASCII text as it is: skip the normalization (most strings)
        text = unicodedata.normalize("NFKD", text)
    return text.encode("ascii", "ignore")


def ascii_fold(text: str) -> str:
    """Lower-case ASCII approximation (é -> e); characters with no ASCII form are dropped."""
    return _ascii_bytes(text).decode("ascii").lower()


def skeleton(text: str) -> str:
    """Comparison key robust to the archive's lost letters: ASCII, lower case, consonants and digits only.

    Accented letters that the archive dropped (``Bouak`` for ``Bouaké``) are mostly vowels, so two
    spellings of one headline share this key.
    """
    return _ascii_bytes(text).translate(_LOWER, _NOT_CONSONANT_OR_DIGIT).decode("ascii")
