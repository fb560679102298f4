"""Launch intelligence: classify a news event and resolve launch site, vehicle and outcome.

Pure code, no I/O: the vocabulary comes from ``config/launch_rules.yaml`` and the gazetteer from
``config/launch_sites.yaml``, passed in as plain mappings (``config/reference.py`` reads them).

Decision order for ``kind`` (the headline decides; the summary is only used for the site):

1. a *strong* launch cue ("lifts off", "is launched", "X launches <space object>") that is not
   modal/future, negated, a noun or a back-reference, and whose object (else subject, else
   sentence) is a space object -> ``space_launch``. A cue in a later sentence counts only when
   the first sentence holds no confuser.
2. a *weak* cue ("minutes after lift-off", "rocket ... veers off and burns up", "maiden flight")
   with space evidence, in a sentence without any confuser family -> ``space_launch``.
3. a missile noun with a launch/fire/test cue and no attack wording -> ``missile_test``.
4. space vocabulary -> ``other_space`` (kind_reason names the confuser family that explains it).
5. otherwise ``other``.

Site basis: ``text`` (headline; else a launch-context mention in the summary) > ``tags`` (own
tags, then related contexts, each only when exactly one site active that year is named) >
``vehicle`` (a vehicle/programme flown from a single site in that era) > None.

Speed (about 10^6 events, most of them not about spaceflight; semantics never depend on it):

- Each vocabulary regex is split into its alternatives (fragments). From each fragment's regex
  (parsed by a small parser of Python's regex syntax, public API only) come its *gate keys*, the
  most selective literal word every match contains, and its *start keys*, the word every match
  starts with. A text is split into tokens once (translate + split, C speed) and memos per token
  give the fragments it gates and those that can start at it: an event without space or missile
  vocabulary is answered "other" after one pass over its tokens.
- The headline's vocabularies run in batches: at each token where some fragment (that passes the
  gate) can start, one regex call tries them all (a look-ahead per vocabulary, compiled once per
  combination of fragments); the result per vocabulary is exactly finditer over its alternation.
- Rules that look at the words just before a verb ('...$') are matched backwards: one anchored
  match of the reversed regex on the reversed window instead of a search from every position.
- The payload regexes run only where they can start; tags, tag groups, topics and payload names,
  which recur across events, are looked up once per classifier.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from functools import reduce
from itertools import accumulate, compress, count
from operator import add, or_
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

__all__ = ["KINDS", "LaunchFacts", "Site", "Vehicle", "Classifier", "normalize_text", "sentence_spans"]

KINDS = ("space_launch", "missile_test", "other_space", "other")


@dataclass(frozen=True)
class LaunchFacts:
    """What the classifier concluded about one event."""

    kind: str              # 'space_launch' | 'missile_test' | 'other_space' | 'other'
    kind_reason: str       # the evidence that decided
    site: str | None       # canonical gazetteer name (space_launch only)
    country: str | None    # country of the site, else of the launching state named in the text
    site_basis: str | None  # 'text' | 'tags' | 'vehicle' | None
    vehicle: str | None
    outcome: str | None    # 'success' | 'failure' | 'partial' | 'unknown' (space_launch only)
    crewed: bool | None
    payload: str | None


@dataclass(frozen=True)
class Site:
    """One gazetteer entry."""

    name: str
    country: str | None
    lat: float | None
    lon: float | None
    first_year: int | None
    last_year: int | None
    aliases: tuple[str, ...] = ()
    generic_aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()

    def active(self, year: int) -> bool:
        """True when the site launched anything in ``year``."""
        return (self.first_year is None or year >= self.first_year) and (self.last_year is None or year <= self.last_year)


@dataclass(frozen=True)
class Vehicle:
    """A launcher or spacecraft/programme, and the single site it implies per era."""

    name: str
    role: str  # 'launcher' | 'spacecraft'
    country: str | None
    crewed: bool | None
    source: str  # regex alternation of its aliases
    sites: tuple[tuple[str, int, int], ...] = ()

    def site_in(self, year: int) -> str | None:
        """The site this vehicle flew from in ``year``, if it used exactly one."""
        for site, first, last in self.sites:
            if first <= year <= last:
                return site
        return None


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u00b4": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u00a0": " ", "\t": " ", "\u2009": " ", "\u200b": "", "\u2026": "...",
})
_SPECIAL_CHARS = re.compile("[" + "".join(chr(c) for c in _TRANSLATE) + "]")


def _replace_special(m: re.Match[str]) -> str:
    return _TRANSLATE[ord(m.group(0))]


_RAW_LINK = re.compile(r"\[(?:https?:|www\.)[^\]]*\]?")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_WIKI_POSSESSIVE = re.compile(r"''(?='s\b)")
_WIKI_QUOTES = re.compile(r"'{2,}")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str | None) -> str:
    """Decode entities, drop wiki markup and raw links, straighten quotes, collapse whitespace."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if not text.isascii() and _SPECIAL_CHARS.search(text):
        text = _SPECIAL_CHARS.sub(_replace_special, text)
    if "[" in text:
        text = _RAW_LINK.sub(" ", text)
    if "{{" in text:
        text = _TEMPLATE.sub(" ", text)
    if "''" in text:
        text = _WIKI_QUOTES.sub("", _WIKI_POSSESSIVE.sub("", text))
    if "  " in text or "\n" in text or "\r" in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def _lower(text: str) -> str:
    """Lower case with the same length (offsets stay valid)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# a break: the "break" group after '.', '!' or '?' (written to start with that character: fast search)
_SENTENCE_BREAK = re.compile(r"[.!?](?P<gap>[\"')\]]?\s+)(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:U\.S|U\.K|U\.N|p\.m|a\.m|Dr|St|Mr|Mrs|Ms|Jr|Sr|No|Gen|Lt|Col|Capt|Sgt|Inc|Ltd|Co|Corp|vs|Mt|Ft"
    r"|approx|est|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec|Rep|Sen|Gov|Prof|Adm|Maj|Rev|Ave|Bros|e\.g|i\.e|etc))\.$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text`` (abbreviation-aware)."""
    first = _SENTENCE_BREAK.search(text)
    if first is None:  # most headlines: one sentence (a search costs half a finditer that finds nothing)
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(text, first.start()):
        gap = m.start("gap")
        # the head ends with the '.', '!' or '?' (the quotes are in the gap): only a '.' can end an
        # abbreviation, and only its last 12 characters are looked at
        if text[gap - 1] == "." and _ABBREVIATION.search(text[max(start, gap - 12):gap]):
            continue
        spans.append((start, gap))
        start = m.end()
    if start < len(text) or not spans:
        spans.append((start, len(text)))
    return spans


# --------------------------------------------------------------------------------------------
# Regex structure (own parser, public API only)
# --------------------------------------------------------------------------------------------
# The vocabulary gates need the literal words a regex must contain. The standard library keeps its
# regex parser private, so this is a small parser of the same syntax producing the same tree shape
# (tuples ``(op, arg)``; plain non-capturing groups are inlined, alternatives that share a first
# item have it factored out, alternatives of single characters become a set). Anything it does not
# know (back-references, conditionals, global flags) raises ``_RegexSyntax``: such a pattern simply
# gets no gate. Ops: LITERAL, NOT_LITERAL, IN, ANY, AT, ASSERT, ASSERT_NOT, SUBPATTERN, ATOMIC_GROUP,
# BRANCH, MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT; IN items: LITERAL, RANGE, CATEGORY, NEGATE.
class _RegexSyntax(ValueError):
    pass


class _Seq(list):
    """A parsed sequence. Compared by identity, like the standard parser's sequences (this decides
    which leading items of alternatives count as shared)."""

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


_MAXREPEAT = 1 << 32
_REPEAT_OPS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_RX_SPECIAL = ".\\[{()*+?^$|"
_RX_REPEAT = "*+?{"
_RX_DIGITS = frozenset("0123456789")
_RX_OCTAL = frozenset("01234567")
_RX_HEX = frozenset("0123456789abcdefABCDEF")
_RX_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_RX_ESCAPES = {r"\a": 7, r"\b": 8, r"\f": 12, r"\n": 10, r"\r": 13, r"\t": 9, r"\v": 11, "\\\\": 92}
_RX_CATEGORIES = {
    r"\A": ("AT", "BEGINNING_STRING"), r"\b": ("AT", "BOUNDARY"), r"\B": ("AT", "NON_BOUNDARY"),
    r"\Z": ("AT", "END_STRING"),
    r"\d": ("IN", "DIGIT"), r"\D": ("IN", "NOT_DIGIT"), r"\s": ("IN", "SPACE"), r"\S": ("IN", "NOT_SPACE"),
    r"\w": ("IN", "WORD"), r"\W": ("IN", "NOT_WORD"),
}
_RX_FLAGS = frozenset("aiLmsux")


class _RxSource:
    __slots__ = ("text", "index", "next")

    def __init__(self, text: str) -> None:
        self.text, self.index = text, 0
        self._advance()

    def _advance(self) -> None:
        i = self.index
        if i >= len(self.text):
            self.next = None
            return
        c = self.text[i]
        if c == "\\":
            if i + 1 >= len(self.text):
                raise _RegexSyntax("bad escape (end of pattern)")
            c = self.text[i:i + 2]
        self.index = i + len(c)
        self.next = c

    def get(self) -> str | None:
        this = self.next
        self._advance()
        return this

    def match(self, char: str) -> bool:
        if char == self.next:
            self._advance()
            return True
        return False

    def getwhile(self, n: int, charset: frozenset[str]) -> str:
        out = ""
        for _ in range(n):
            c = self.next
            if c not in charset:
                break
            out += c
            self._advance()
        return out

    def tell(self) -> int:
        return self.index - len(self.next or "")

    def seek(self, index: int) -> None:
        self.index = index
        self._advance()


def _rx_code_escape(source: _RxSource, escape: str, in_class: bool) -> tuple[str, Any]:
    if in_class:
        if escape in _RX_ESCAPES:
            return "LITERAL", _RX_ESCAPES[escape]
        cat = _RX_CATEGORIES.get(escape)
        if cat and cat[0] == "IN":
            return "CATEGORY", cat[1]
    else:
        cat = _RX_CATEGORIES.get(escape)
        if cat:
            return ("AT", cat[1]) if cat[0] == "AT" else ("IN", [("CATEGORY", cat[1])])
        if escape in _RX_ESCAPES:
            return "LITERAL", _RX_ESCAPES[escape]
    c = escape[1:2]
    if c in ("x", "u", "U"):
        n = {"x": 2, "u": 4, "U": 8}[c]
        digits = source.getwhile(n, _RX_HEX)
        if len(digits) != n:
            raise _RegexSyntax("incomplete escape " + escape + digits)
        return "LITERAL", int(digits, 16)
    if c in _RX_DIGITS:
        if in_class and c in _RX_OCTAL:
            return "LITERAL", int(c + source.getwhile(2, _RX_OCTAL), 8)
        if c == "0":
            return "LITERAL", int(source.getwhile(2, _RX_OCTAL) or "0", 8)
        raise _RegexSyntax("group references are not supported")
    if len(escape) == 2 and c not in _RX_LETTERS:
        return "LITERAL", ord(c)
    raise _RegexSyntax("unsupported escape " + escape)


def _rx_parse_sub(source: _RxSource) -> _Seq:
    items = [_rx_parse(source)]
    while source.match("|"):
        items.append(_rx_parse(source))
    if len(items) == 1:
        return items[0]
    out = _Seq()
    while True:  # alternatives sharing a first item: move it out of the branch
        prefix = None
        for item in items:
            if not item:
                break
            if prefix is None:
                prefix = item[0]
            elif item[0] != prefix:
                break
        else:
            for item in items:
                del item[0]
            out.append(prefix)
            continue
        break
    chars: list[tuple[str, Any]] = []
    for item in items:  # alternatives of single characters: a set
        if len(item) != 1:
            break
        op, av = item[0]
        if op == "LITERAL":
            chars.append((op, av))
        elif op == "IN" and av[0][0] != "NEGATE":
            chars.extend(av)
        else:
            break
    else:
        out.append(("IN", list(dict.fromkeys(chars))))
        return out
    out.append(("BRANCH", (None, items)))
    return out


def _rx_parse_class(source: _RxSource, out: _Seq) -> None:
    chars: list[tuple[str, Any]] = []
    negate = source.match("^")
    while True:
        this = source.get()
        if this is None:
            raise _RegexSyntax("unterminated character set")
        if this == "]" and chars:
            break
        code1 = _rx_code_escape(source, this, True) if this[0] == "\\" else ("LITERAL", ord(this))
        if source.match("-"):
            that = source.get()
            if that is None:
                raise _RegexSyntax("unterminated character set")
            if that == "]":
                chars.append(code1)
                chars.append(("LITERAL", ord("-")))
                break
            code2 = _rx_code_escape(source, that, True) if that[0] == "\\" else ("LITERAL", ord(that))
            if code1[0] != "LITERAL" or code2[0] != "LITERAL" or code2[1] < code1[1]:
                raise _RegexSyntax("bad character range")
            chars.append(("RANGE", (code1[1], code2[1])))
        else:
            chars.append(code1)
    chars = list(dict.fromkeys(chars))
    if len(chars) == 1 and chars[0][0] == "LITERAL":
        out.append(("NOT_LITERAL", chars[0][1]) if negate else chars[0])
    else:
        out.append(("IN", [("NEGATE", None), *chars] if negate else chars))


def _rx_parse_repeat(source: _RxSource, this: str, out: _Seq) -> None:
    here = source.tell()
    if this == "?":
        lo, hi = 0, 1
    elif this == "*":
        lo, hi = 0, _MAXREPEAT
    elif this == "+":
        lo, hi = 1, _MAXREPEAT
    else:  # '{'
        if source.next == "}":
            out.append(("LITERAL", ord(this)))
            return
        a = b = ""
        while source.next in _RX_DIGITS:
            a += source.get()
        if source.match(","):
            while source.next in _RX_DIGITS:
                b += source.get()
        else:
            b = a
        if not source.match("}"):
            out.append(("LITERAL", ord(this)))
            source.seek(here)
            return
        lo = int(a) if a else 0
        hi = int(b) if b else _MAXREPEAT
        if hi < lo:
            raise _RegexSyntax("min repeat greater than max repeat")
    if not out or out[-1][0] == "AT":
        raise _RegexSyntax("nothing to repeat")
    if out[-1][0] in _REPEAT_OPS:
        raise _RegexSyntax("multiple repeat")
    item: _Seq = _Seq(out[-1:])
    if item[0][0] == "SUBPATTERN":
        group, add_flags, del_flags, sub = item[0][1]
        if group is None and not add_flags and not del_flags:
            item = sub
    if source.match("?"):
        out[-1] = ("MIN_REPEAT", (lo, hi, item))
    elif source.match("+"):
        out[-1] = ("POSSESSIVE_REPEAT", (lo, hi, item))
    else:
        out[-1] = ("MAX_REPEAT", (lo, hi, item))


def _rx_parse_group(source: _RxSource, out: _Seq) -> None:
    capture, atomic, add_flags, del_flags = True, False, "", ""
    if source.match("?"):
        char = source.get()
        if char == "P" and source.match("<"):
            name = ""
            while source.next not in (None, ">"):
                name += source.get()
            if not source.match(">") or not name.isidentifier():
                raise _RegexSyntax("bad group name")
        elif char == ":":
            capture = False
        elif char == "#":
            while source.get() not in (None, ")"):
                pass
            return
        elif char in ("=", "!", "<"):
            direction = 1
            if char == "<":
                char = source.get()
                if char not in ("=", "!"):
                    raise _RegexSyntax("unknown extension")
                direction = -1
            sub = _rx_parse_sub(source)
            if not source.match(")"):
                raise _RegexSyntax("missing )")
            out.append(("ASSERT" if char == "=" else "ASSERT_NOT", (direction, sub)))
            return
        elif char == ">":
            capture, atomic = False, True
        elif char is not None and (char in _RX_FLAGS or char == "-"):
            flags = char
            while source.next is not None and source.next not in (":", ")"):
                flags += source.get()
            if not source.match(":"):
                raise _RegexSyntax("global flags are not supported")
            add_flags, _sep, del_flags = flags.partition("-")
            if not set(add_flags + del_flags) <= _RX_FLAGS:
                raise _RegexSyntax("unknown flag")
            capture = False
        else:
            raise _RegexSyntax("unsupported extension")
    sub = _rx_parse_sub(source)
    if not source.match(")"):
        raise _RegexSyntax("missing )")
    if atomic:
        out.append(("ATOMIC_GROUP", sub))
    else:
        out.append(("SUBPATTERN", (1 if capture else None, add_flags, del_flags, sub)))


def _rx_parse(source: _RxSource) -> _Seq:
    out = _Seq()
    while True:
        this = source.next
        if this is None or this in "|)":
            break
        source.get()
        if this[0] == "\\":
            out.append(_rx_code_escape(source, this, False))
        elif this not in _RX_SPECIAL:
            out.append(("LITERAL", ord(this)))
        elif this == "[":
            _rx_parse_class(source, out)
        elif this in _RX_REPEAT:
            _rx_parse_repeat(source, this, out)
        elif this == ".":
            out.append(("ANY", None))
        elif this == "(":
            _rx_parse_group(source, out)
        elif this == "^":
            out.append(("AT", "BEGINNING"))
        elif this == "$":
            out.append(("AT", "END"))
    for i in range(len(out) - 1, -1, -1):  # inline plain non-capturing groups
        op, av = out[i]
        if op == "SUBPATTERN" and av[0] is None and not av[1] and not av[2]:
            out[i:i + 1] = av[3]
    return out


def parse_regex(pattern: str) -> _Seq:
    """The tree of ``pattern`` (see above); raises ``_RegexSyntax`` for what it does not support."""
    tree = _rx_tree(pattern)
    re.compile(pattern)  # the real syntax check
    return tree


def _rx_tree(pattern: str) -> _Seq:
    """``parse_regex`` without the syntax check of the standard parser."""
    source = _RxSource(pattern)
    tree = _rx_parse_sub(source)
    if source.next is not None:
        raise _RegexSyntax("unbalanced parenthesis")
    return tree


# --------------------------------------------------------------------------------------------
# End-anchored regexes, matched backwards
# --------------------------------------------------------------------------------------------
# The rules test the words just before a launch verb with patterns ending in '$' ("will launch":
# '\b(?:will|...)\s+(?:...\s+){0,3}$'). A search tries such a pattern at every position of the
# window; the same question is one anchored match of the reversed pattern on the reversed window.
_CATEGORY_SOURCE = {"WORD": r"\w", "NOT_WORD": r"\W", "SPACE": r"\s", "NOT_SPACE": r"\S", "DIGIT": r"\d",
                    "NOT_DIGIT": r"\D"}
_AT_SOURCE = {"BOUNDARY": r"\b", "NON_BOUNDARY": r"\B", "BEGINNING": "^", "END": "$", "BEGINNING_STRING": r"\A",
              "END_STRING": r"\Z"}
_AT_MIRROR = {"BEGINNING": "END", "END": "BEGINNING", "BEGINNING_STRING": "END_STRING", "END_STRING": "BEGINNING_STRING"}


def _rx_char(code: int) -> str:
    c = chr(code)
    return c if c.isalnum() or c == " " else "\\" + c if c.isascii() and c.isprintable() else f"\\U{code:08x}"


def _rx_source(seq: Iterable[tuple[str, Any]]) -> str:
    """Regex source of a parsed sequence (groups become non-capturing)."""
    out = []
    for op, av in seq:
        if op == "LITERAL":
            out.append(_rx_char(av))
        elif op == "NOT_LITERAL":
            out.append(f"[^{_rx_char(av)}]")
        elif op == "ANY":
            out.append(".")
        elif op == "IN":
            items = []
            for iop, iav in av:
                if iop == "NEGATE":
                    items.insert(0, "^")
                elif iop == "LITERAL":
                    items.append(_rx_char(iav))
                elif iop == "RANGE":
                    items.append(f"{_rx_char(iav[0])}-{_rx_char(iav[1])}")
                else:
                    items.append(_CATEGORY_SOURCE[iav])
            out.append("[" + "".join(items) + "]")
        elif op == "AT":
            out.append(_AT_SOURCE[av])
        elif op in ("ASSERT", "ASSERT_NOT"):
            out.append("(?" + ("" if av[0] == 1 else "<") + ("=" if op == "ASSERT" else "!") + _rx_source(av[1]) + ")")
        elif op == "SUBPATTERN":
            _group, add, drop, sub = av
            flags = f"{add}-{drop}" if drop else add
            out.append(f"(?{flags}:{_rx_source(sub)})")
        elif op == "ATOMIC_GROUP":
            out.append(f"(?>{_rx_source(av)})")
        elif op == "BRANCH":
            out.append("(?:" + "|".join(_rx_source(alt) for alt in av[1]) + ")")
        elif op in _REPEAT_OPS:
            lo, hi, item = av
            count = f"{{{lo},}}" if hi == _MAXREPEAT else f"{{{lo},{hi}}}"
            out.append(f"(?:{_rx_source(item)}){count}" + {"MIN_REPEAT": "?", "POSSESSIVE_REPEAT": "+"}.get(op, ""))
        else:  # pragma: no cover - the parser produces nothing else
            raise _RegexSyntax(op)
    return "".join(out)


def _rx_width(seq: Iterable[tuple[str, Any]]) -> tuple[int, int]:
    """(fewest, most) characters a match of the parsed sequence consumes (most: _MAXREPEAT if unbounded)."""
    lo = hi = 0
    for op, av in seq:
        if op in ("LITERAL", "NOT_LITERAL", "IN", "ANY"):
            a = b = 1
        elif op in ("AT", "ASSERT", "ASSERT_NOT"):
            a = b = 0
        elif op == "SUBPATTERN":
            a, b = _rx_width(av[3])
        elif op == "ATOMIC_GROUP":
            a, b = _rx_width(av)
        elif op == "BRANCH":
            widths = [_rx_width(alt) for alt in av[1]]
            a, b = min(w[0] for w in widths), max(w[1] for w in widths)
        else:
            w = _rx_width(av[2])
            a, b = av[0] * w[0], _MAXREPEAT if av[1] == _MAXREPEAT or w[1] == _MAXREPEAT else av[1] * w[1]
        lo, hi = lo + a, min(_MAXREPEAT, hi + b)
    return lo, hi


def _rx_reverse(seq: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The sequence matching the reversed texts (same matches, mirrored). Raises _RegexSyntax for
    what has no mirror here (atomic groups, possessive repeats, variable-width look-aheads)."""
    out: list[tuple[str, Any]] = []
    for op, av in reversed(list(seq)):
        if op == "AT":
            out.append((op, _AT_MIRROR.get(av, av)))
        elif op in ("ASSERT", "ASSERT_NOT"):
            direction, sub = av
            if direction == 1 and len(set(_rx_width(sub))) != 1:
                raise _RegexSyntax("variable-width look-ahead")
            out.append((op, (-direction, _rx_reverse(sub))))
        elif op == "SUBPATTERN":
            out.append((op, (None, av[1], av[2], _rx_reverse(av[3]))))
        elif op == "BRANCH":
            out.append((op, (None, [_rx_reverse(alt) for alt in av[1]])))
        elif op in ("MAX_REPEAT", "MIN_REPEAT"):
            out.append((op, (av[0], av[1], _rx_reverse(av[2]))))
        elif op in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT"):
            raise _RegexSyntax(op)
        else:
            out.append((op, av))
    return out


class _EndRegex:
    """A regex whose matches end at the end of the text ('...$'), with ``search`` answered by an
    anchored match of the reversed regex on the reversed text first (one attempt instead of one
    per position); the forward search runs only when there is a match (for its groups).

    ``search(text, pos, endpos)`` as for a compiled regex: the reversed text then also holds the
    ``context`` characters before ``pos`` that the regex can look at (word boundaries and
    look-behinds); a backward match starting further left only costs the forward search."""

    __slots__ = ("forward", "backward", "context")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.forward = re.compile(pattern, flags)
        self.backward: re.Pattern[str] | None = None
        self.context = 1
        try:
            tree = parse_regex(pattern)
            if tree and tree[-1] == ("AT", "END"):
                self.backward = re.compile(_rx_source(_rx_reverse(tree)), flags)
                self.context = 1 + _rx_lookbehind(tree)
        except (_RegexSyntax, re.error):
            self.backward = None

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        if self.backward is not None:
            window = text[max(0, pos - self.context) if pos else 0:endpos]
            if "\n" not in window and self.backward.match(window[::-1]) is None:
                return None
        return self.forward.search(text, pos) if endpos is None else self.forward.search(text, pos, endpos)

    def __reduce__(self) -> tuple[Any, ...]:
        return _EndRegex, (self.forward.pattern, self.forward.flags & ~re.UNICODE)


class _StartRegex:
    """A regex whose matches start at the start of the text ('^...'): ``search`` is one anchored
    match (Python's search would try every position)."""

    __slots__ = ("rx", "anchored")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.rx = re.compile(pattern, flags)
        try:
            tree = parse_regex(pattern)
            self.anchored = bool(tree) and tree[0] == ("AT", "BEGINNING") and not flags & re.MULTILINE
        except (_RegexSyntax, re.error):
            self.anchored = False

    def search(self, text: str) -> re.Match[str] | None:
        return self.rx.match(text) if self.anchored else self.rx.search(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return _StartRegex, (self.rx.pattern, self.rx.flags & ~re.UNICODE)


def _rx_lookbehind(seq: Iterable[tuple[str, Any]]) -> int:
    """How far behind its position a parsed sequence can look (widest look-behind)."""
    most = 0
    for op, av in seq:
        if op in ("ASSERT", "ASSERT_NOT"):
            most = max(most, _rx_width(av[1])[1] if av[0] == -1 else 0, _rx_lookbehind(av[1]))
        elif op == "SUBPATTERN":
            most = max(most, _rx_lookbehind(av[3]))
        elif op == "ATOMIC_GROUP":
            most = max(most, _rx_lookbehind(av))
        elif op == "BRANCH":
            most = max([most] + [_rx_lookbehind(alt) for alt in av[1]])  # (no starred list: Cython rejects it)
        elif op in _REPEAT_OPS:
            most = max(most, _rx_lookbehind(av[2]))
    return most


def _any_end(regexes: Iterable[_EndRegex]) -> re.Pattern[str] | None:
    """One backward regex matching when any of ``regexes`` would (None if one has no backward form)."""
    parts = []
    for rx in regexes:
        if rx.backward is None:
            return None
        parts.append(f"(?:{rx.backward.pattern})")
    return re.compile("|".join(parts))


# --------------------------------------------------------------------------------------------
# Gate keys: the literal words a regex must contain
# --------------------------------------------------------------------------------------------
_GATE_LEN = 5
_START_LEN = 16  # start keys can be longer: they are looked up per distinct token (memo)
_GATE_MAX = 4000
_WORD_END = [("IN", [("CATEGORY", "WORD")])]
# function words make useless gate anchors (they are in almost every headline)
_COMMON_TOKENS = frozenset("a an and as at by for from in into is it its of off on or out set the to up was were with "
                           "new put sea st air long cape black march mission missions flight flights".split())
# starts of frequent news words: poor gate anchors when a rarer word is available
_COMMON_PREFIXES = frozenset("after annou carri compl confi first forei gener gover inter march natio offic parti "
                             "peopl presi resea repor secon state takes thirt unite years suppl heads place sends "
                             "leave rises climb centr india chine china irani israe ameri russi japan korea europ "
                             "virgi elect energ cargo black chang".split())
# A gate state: (text so far, open = may still grow, exact = the text is a whole token)
_GateState = tuple[str, bool, bool]


def _walk(items: Iterable[tuple[str, Any]], states: set[_GateState], limit: int = _GATE_LEN) -> set[_GateState] | None:
    for op, av in items:
        if not any(st[1] for st in states):
            break
        states = _step(op, av, states, limit)
        if states is None or len(states) > _GATE_MAX:
            return None
    return states


def _extend(states: set[_GateState], chars: Iterable[str], limit: int) -> set[_GateState]:
    out: set[_GateState] = set()
    for st in states:
        s, open_, _exact = st
        if not open_:
            out.add(st)
            continue
        for c in chars:
            if c.isalnum():
                t = s + c
                out.add((t, len(t) < limit, False))
            else:  # a token ends here: the text so far is a whole token
                out.add((s, False, bool(s)))
    return out


def _close(states: set[_GateState]) -> set[_GateState]:
    return {(s, False, exact) for s, _o, exact in states}


def _end_token(states: set[_GateState]) -> set[_GateState]:
    return {(s, False, True) if open_ and s else (s, open_, exact) for s, open_, exact in states}


def _step(op: str, av: Any, states: set[_GateState], limit: int) -> set[_GateState] | None:
    if op == "AT":
        return _end_token(states) if av == "BOUNDARY" else states
    if op == "ASSERT_NOT":
        direction, sub = av
        return _end_token(states) if direction == 1 and list(sub) == _WORD_END else states
    if op == "ASSERT":
        return states
    if op == "LITERAL":
        return _extend(states, {chr(av).lower()}, limit)
    if op == "IN":
        chars: set[str] = set()
        for iop, iav in av:
            if iop == "LITERAL":
                chars.add(chr(iav).lower())
            elif iop == "RANGE" and iav[1] - iav[0] <= 10:
                chars.update(chr(c).lower() for c in range(iav[0], iav[1] + 1))
            elif iop == "CATEGORY" and iav == "SPACE":
                chars.add(" ")
            else:
                return _close(states)
        return _extend(states, chars, limit) if len(chars) <= 12 else _close(states)
    if op == "SUBPATTERN":
        return _walk(av[3], states, limit)
    if op == "ATOMIC_GROUP":
        return _walk(av, states, limit)
    if op == "BRANCH":
        out: set[_GateState] = set()
        for alt in av[1]:
            res = _walk(alt, set(states), limit)
            if res is None:
                return None
            out |= res
        return out
    if op in _REPEAT_OPS:
        lo, hi, item = av
        once = _walk(item, set(states), limit)
        if once is None:
            return None
        if hi != 1:
            once = _close(once)
        return (states | once) if lo == 0 else once
    return _close(states)


def _is_separator(op: str, av: Any) -> bool:
    """A mandatory run of non-alphanumeric characters (space, hyphen...): a new token starts after it."""
    if op == "LITERAL":
        return not chr(av).isalnum()
    if op in _REPEAT_OPS and av[0] >= 1:
        return bool(av[2]) and all(_is_separator(o, a) for o, a in av[2])
    if op == "IN":
        return all((o == "CATEGORY" and a == "SPACE") or (o == "LITERAL" and not chr(a).isalnum()) for o, a in av)
    return False


def gate_keys(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """Token keys one of which every match of ``pattern`` must contain: ``(exact, prefixes)`` where
    an exact key is a whole lower-case token and a prefix key the first 1-4 characters of one.
    The most selective anchor is chosen: the start of the match or a word after a mandatory
    space ('to\\s+orbit' is gated on 'orbit'). None when no literal anchor exists."""
    anchors = _anchors(pattern)
    return min(anchors, key=lambda a: a[1])[2] if anchors else None


def _anchors(pattern: str) -> list[tuple[int, float, tuple[frozenset[str], frozenset[str]]]]:
    """(item index, cost, keys) of every literal anchor of ``pattern`` (see ``gate_keys``)."""
    try:
        items = _flatten(list(parse_regex(pattern)))
    except (_RegexSyntax, re.error):
        return []
    out = []
    for i in _anchor_starts(items):
        states = _walk(items[i:], {("", True, False)})
        if not states or any(not s for s, _o, _e in states):
            continue
        exact = frozenset(s for s, _o, e in states if e)
        prefixes = frozenset(s for s, _o, e in states if not e)
        cost = sum(_key_cost(k, True) for k in exact) + sum(_key_cost(k, False) for k in prefixes)
        out.append((i, cost, (exact, prefixes)))
    return out


def _key_cost(key: str, exact: bool) -> float:
    """Rough share of headlines a gate key lets through (lower is more selective)."""
    if exact:
        return 20.0 if key in _COMMON_TOKENS else {1: 10.0, 2: 3.0, 3: 1.5, 4: 0.5}.get(len(key), 0.3)
    if key in _COMMON_PREFIXES:
        return 8.0
    return {5: 0.5, 4: 1.0, 3: 3.0, 2: 10.0}.get(len(key), 30.0)


def _flatten(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Inline groups that hold a plain sequence ('(?:long\\s+march)' -> 'long\\s+march')."""
    out: list[tuple[str, Any]] = []
    for op, av in items:
        if op == "SUBPATTERN" and not any(o == "BRANCH" for o, _a in av[3]):
            out.extend(_flatten(list(av[3])))
        else:
            out.append((op, av))
    return out


def _anchor_starts(items: list[tuple[str, Any]]) -> list[int]:
    """Indexes where a new token must start: 0, and after a mandatory separator followed only by
    optional items that themselves end in a separator ("after\\s+(?:the\\s+)?launch" -> 'launch')."""
    starts = [0]
    for j, (op, av) in enumerate(items):
        if not _is_separator(op, av):
            continue
        i = j + 1
        while i < len(items):
            starts.append(i)
            op_i, av_i = items[i]
            if not (op_i in _REPEAT_OPS and av_i[0] == 0 and _ends_with_separator(av_i[2])):
                break
            i += 1
    return sorted(set(k for k in starts if k < len(items)))


def _ends_with_separator(seq: Any) -> bool:
    seq = list(seq)
    if not seq:
        return False
    op, av = seq[-1]
    if _is_separator(op, av):
        return True
    if op == "SUBPATTERN":
        return _ends_with_separator(av[3])
    if op == "BRANCH":
        return all(_ends_with_separator(alt) for alt in av[1])
    if op in _REPEAT_OPS:
        return _ends_with_separator(av[2])
    return False


def _regex_structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, char, depth) of each character of a regex source from ``start`` that is neither
    escaped nor inside a character class; ``depth`` counts the groups open after that character
    (so a '(' yields its own depth, a ')' the depth outside it). An escape ('\\x') and a class
    ('[...]') yield nothing."""
    depth = 0
    in_class = False
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            yield i, ch, depth
        i += 1


def _top_level_parts(pattern: str) -> list[str]:
    """Top-level alternatives of a regex, as written ('a|(?:b|c)' -> ['a', '(?:b|c)'])."""
    bars = [i for i, ch, depth in _regex_structure(pattern) if ch == "|" and depth == 0]
    parts = [pattern[a + 1:b] for a, b in zip([-1, *bars], [*bars, len(pattern)])]
    return [p for p in parts if p]


def _split_alternation(pattern: str) -> list[str]:
    """Top-level alternatives of a regex ('a|(?:b|c)' -> ['a', '(?:b|c)']; '\\b(?:a|b)\\b' -> '\\b(?:a)\\b', ...)."""
    parts = _top_level_parts(pattern)
    if len(parts) == 1:
        m = _DISTRIBUTABLE.match(parts[0])
        if m and _group_end(parts[0], m.start("body") - 3) == m.end("body"):
            inner = _split_alternation(m.group("body"))
            if len(inner) > 1:
                return [f"{m.group('pre')}(?:{p}){m.group('post')}" for p in inner]
    return parts


def _group_end(pattern: str, open_at: int) -> int:
    """Offset of the ')' closing the group opened at ``open_at`` (-1 if unbalanced)."""
    return next((i for i, ch, depth in _regex_structure(pattern, open_at) if ch == ")" and depth == 0), -1)


# '\b(?:a|b|c)\b' -> '\b(?:a)\b', '\b(?:b)\b', ... (each alternative gets its own gate)
_DISTRIBUTABLE = re.compile(r"^(?P<pre>\\b|)\(\?:(?P<body>.*)\)(?P<post>\\b|\(\?!\\w\)|)$", re.DOTALL)
def _min_width(items: Iterable[tuple[str, Any]]) -> int:
    """Fewest characters a match of the parsed sequence consumes."""
    total = 0
    for op, av in items:
        if op in ("LITERAL", "NOT_LITERAL", "IN", "ANY"):
            total += 1
        elif op == "SUBPATTERN":
            total += _min_width(av[3])
        elif op == "ATOMIC_GROUP":
            total += _min_width(av)
        elif op == "BRANCH":
            total += min(_min_width(alt) for alt in av[1])
        elif op in _REPEAT_OPS:
            total += av[0] * _min_width(av[2])
    return total


def _no_word_before(op: str, av: Any) -> bool:
    """``\\b`` or a look-behind excluding word characters ('(?<![\\w-])'): before a letter or
    digit, the match then starts where a token starts."""
    if op == "AT":
        return av == "BOUNDARY"
    if op == "ASSERT_NOT" and av[0] == -1 and len(av[1]) == 1:
        sop, sav = av[1][0]
        return sop == "IN" and ("CATEGORY", "WORD") in sav and sav[0][0] != "NEGATE"
    return False


def start_keys(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """Where matches of ``pattern`` can start: ``(exact, prefixes)`` such that every match starts
    at the start of a token that equals an exact key or begins with a prefix key (1-5 characters).
    None when the pattern does not start at a token boundary with a literal word (no anchor), or
    can match the empty string."""
    try:
        items = _flatten(list(parse_regex(pattern)))
    except (_RegexSyntax, re.error):
        return None
    if _min_width(items) == 0:
        return None
    lead = 0
    while lead < len(items) and items[lead][0] in ("AT", "ASSERT", "ASSERT_NOT"):
        lead += 1
    if not any(_no_word_before(op, av) for op, av in items[:lead]):
        return None
    states = _walk(items, {("", True, False)}, _START_LEN)
    if not states or any(not s for s, _o, _e in states):
        return None
    return frozenset(s for s, _o, e in states if e), frozenset(s for s, _o, e in states if not e)


def _first_char_check(pattern: str) -> str:
    """A look-ahead for the first characters of the matches of ``pattern``, ignoring case ('' when
    they are not all letters or digits). Before a case-insensitive alternation it fails at once
    where the engine would try every alternative (it checks a first literal only when case matters)."""
    try:
        states = _walk(parse_regex(pattern), {("", True, False)}, 1)
    except (_RegexSyntax, re.error):
        return ""
    if not states or any(not s for s, _o, _e in states):
        return ""
    return "(?=(?i:[" + "".join(sorted({s for s, _o, _e in states})) + "]))"


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile for lower-cased text; IGNORECASE only when the pattern has an upper-case literal."""
    return re.compile(pattern, re.IGNORECASE if _needs_case(pattern) else 0)


def _needs_case(pattern: str) -> bool:
    return bool(re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)))


# --------------------------------------------------------------------------------------------
# Vocabulary index and scans
# --------------------------------------------------------------------------------------------
# Every vocabulary fragment (one alternative of a vocabulary regex) is registered in the
# classifier's index (global id = bit position) with two sets of literal keys derived from its
# regex:
#  - gate keys (``gate_keys``): one of them occurs in every text the fragment matches;
#  - start keys (``start_keys``): the token every match starts with (fragments that begin with a
#    word boundary and a literal word; the others are searched with their regex, see _Vocab).
# A text is split into tokens once (translate + split, C speed) and a memo gives per token the
# fragments it gates and the fragments that can start at it. A fragment runs only at the token
# positions where it can start; at each such position every vocabulary that can match there is
# tried by ONE regex call: per vocabulary a look-ahead holding the alternation, in vocabulary
# order, of its fragments that can start there, capturing the match. Per vocabulary the matches
# are then exactly those of its full alternation scanned with finditer (leftmost first, the
# earlier fragment wins at one position, a match resumes the scan at its end).
class _SeparatorTable(dict):
    """str.translate table: every character that is not a letter or digit becomes a space."""

    def __missing__(self, code: int) -> int:
        got = self[code] = code if chr(code).isalnum() else 32
        return got


_SEPARATORS = _SeparatorTable()
_ASCII_BYTE_SEPARATORS = bytes(c if chr(c).isalnum() else 32 for c in range(256))
_MEMO_MAX = 200_000
_PLANS_MAX = 20_000
# Leading assertions checked in Python at a token start (the previous character is not a letter
# or digit there): the assertion, and the characters before the token that make it fail.
_LEADS = (("(?<![\\w-])", "-_"), ("\\b", "_"))


def _add_keys(bit: int, keys: tuple[frozenset[str], frozenset[str]], exact: dict[str, int],
              prefix: dict[int, dict[str, int]]) -> None:
    for k in keys[0]:
        exact[k] = exact.get(k, 0) | bit
    for k in keys[1]:
        table = prefix.setdefault(len(k), {})
        table[k] = table.get(k, 0) | bit


class _KeyMemo(dict):
    """Memo token -> bits of the fragments one of whose keys the token carries: the token itself
    is an exact key, or it starts with a prefix key. ``exact``/``prefix``: the key tables."""

    def __init__(self, exact: dict[str, int], prefix: dict[int, dict[str, int]], lo: int = 0, width: int = -1) -> None:
        super().__init__()
        self.exact, self.prefix, self.lo, self.width = exact, prefix, lo, width

    def __missing__(self, token: str | bytes) -> int:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        bits = self.exact.get(text, 0)
        for n, keys in self.prefix.items():
            bits |= keys.get(text[:n], 0)
        if self.lo or self.width >= 0:
            bits = bits >> self.lo & self.width
        if len(self) >= _MEMO_MAX:
            self.clear()
        self[token] = bits
        return bits

    def __reduce__(self) -> tuple[Any, ...]:  # pickle the keys, not the memo
        return _KeyMemo, (self.exact, self.prefix, self.lo, self.width)


class _Batch(dict):
    """Vocabularies run together on a headline, and a memo token -> position plan (see
    _Index.plan) of their fragments that can start at the token (None: there is none).
    ``vocabs``: their slots; ``mask``: the fragments tried at token positions (vocabularies with a
    fragment without start keys are searched with their own regex instead: ``searched``);
    ``gated``: leave out, per headline, the fragments whose gate keys it lacks."""

    def __init__(self, index: "_Index", vocabs: Sequence["_Vocab"], gated: bool = False) -> None:
        super().__init__()
        self.index, self.gated = index, gated
        self.slots = tuple(v.slot for v in vocabs)
        self.searched = tuple(v for v in vocabs if v.has_free)
        self.mask = reduce(or_, (v.mask for v in vocabs if not v.has_free), 0)

    def __missing__(self, token: str | bytes) -> Any:
        bits = self.index.starts[token] & self.mask
        if len(self) >= _MEMO_MAX:
            self.clear()
        got = self[token] = self.index.plan(bits) if bits else None
        return got

    def __reduce__(self) -> tuple[Any, ...]:  # the memo is not pickled
        return _restore_batch, (self.index, self.gated, self.slots, self.searched, self.mask)


def _restore_batch(index: "_Index", gated: bool, slots: tuple[int, ...], searched: tuple["_Vocab", ...],
                   mask: int) -> _Batch:
    batch = _Batch(index, (), gated)
    batch.slots, batch.searched, batch.mask = slots, searched, mask
    return batch


class _Index:
    """All vocabulary fragments of a classifier (global ids = bit positions), their keys, the
    batches of vocabularies run together on a headline and the compiled position regexes."""

    def __init__(self) -> None:
        self.size = 0
        self.always = 0  # fragments without gate keys: candidates in every text
        self.free = 0  # fragments without start keys: found by their own regex
        self.gate_keys: tuple[dict[str, int], dict[int, dict[str, int]]] = ({}, {})
        self.start_keys: tuple[dict[str, int], dict[int, dict[str, int]]] = ({}, {})
        self.gates = _KeyMemo(*self.gate_keys)
        self.starts = _KeyMemo(*self.start_keys)
        self.bodies: list[str] = []  # per fragment: the regex run at a token start
        self.keep_after: dict[str, int] = {c: -1 for _lead, chars in _LEADS for c in chars}
        self.vocabs: list[_Vocab] = []
        self.overlapping: frozenset[int] = frozenset()  # slots of vocabularies whose matches may overlap
        self.batches: list[_Batch] = []
        self.plans: dict[int, tuple[re.Pattern[str], tuple[tuple[int, int, Any, Any], ...], Any, int]] = {}

    def add(self, pattern: str) -> int:
        """Register one fragment (``pattern`` as compiled); returns its id."""
        i = self.size
        self.size += 1
        bit = 1 << i
        keys = gate_keys(pattern)
        if keys is None:
            self.always |= bit
        else:
            _add_keys(bit, keys, *self.gate_keys)
        anchor = None if _needs_case(pattern) or re.compile(pattern).groups else start_keys(pattern)
        body = pattern
        if anchor is None:
            self.free |= bit
        else:
            _add_keys(bit, anchor, *self.start_keys)
            for lead, chars in _LEADS:
                rest = pattern[len(lead):]
                if pattern.startswith(lead) and rest[:1] not in ("", "*", "+", "?", "{") and _compiles(rest):
                    body = rest
                    for c in chars:
                        self.keep_after[c] &= ~bit
                    break
        self.bodies.append(_unwrap(body))
        self.gates.clear()
        self.starts.clear()
        return i

    def register(self, vocab: "_Vocab") -> int:
        self.vocabs.append(vocab)
        return len(self.vocabs) - 1

    def __getstate__(self) -> dict[str, Any]:  # compiled position regexes are rebuilt on demand
        return {**self.__dict__, "plans": {}}

    def batch(self, vocabs: Sequence["_Vocab"], gated: bool = False) -> None:
        """Run these vocabularies together on a headline (one regex call per token position).
        ``gated``: leave out, per headline, the fragments whose gate keys it lacks (worth it when
        many fragments start with common words)."""
        batch = _Batch(self, vocabs, gated)
        self.batches.append(batch)
        for v in vocabs:
            v.batch = batch

    def gate(self, low: str) -> int:
        """Gate bits of a lower-cased text (the fragments one of whose gate keys it holds)."""
        return _Scan(low, self).ids

    def plan(self, bits: int) -> tuple[re.Pattern[str], tuple[tuple[int, int, Any, Any], ...], Any, int]:
        """The position regex of the fragments ``bits``: (regex, layout, single, bits).

        One vocabulary (``single`` = (slot, label, labels by group)): the alternation of its
        fragments, in order, each followed by an empty marker group when they have different labels
        (a fragment then still starts with its first literal, which the regex engine checks before
        trying it). Several: per vocabulary an optional look-ahead capturing that alternation,
        written '(?:(?=(...))|)' (the engine runs '(?=...)?' through its general repeat machinery),
        and ``layout`` = per vocabulary (slot, group of its match, constant label or None,
        ((group, label), ...) per fragment or None)."""
        plan = self.plans.get(bits)
        if plan is not None:
            return plan
        if len(self.plans) >= _PLANS_MAX:
            self.plans.clear()
        parts = [(v, [i for i in range(v.hi - v.lo) if bits >> (v.lo + i) & 1]) for v in self.vocabs if bits & v.mask]
        if len(parts) == 1:
            v, ids = parts[0]
            if v.one_label:
                plan = (re.compile("|".join(self.bodies[v.lo + i] for i in ids)), (), (v.slot, v.label, None), bits)
            else:
                plan = (re.compile("|".join(_marked(self.bodies[v.lo + i]) for i in ids)), (),
                        (v.slot, None, (None, *(v.labels[i] for i in ids))), bits)
            self.plans[bits] = plan
            return plan
        blocks, layout, group = [], [], 1
        for v, ids in parts:
            whole, group = group, group + 1
            if v.one_label:
                alts = [self.bodies[v.lo + i] for i in ids]
                layout.append((v.slot, whole, v.label, None))
            else:
                alts, inner = [], []
                for i in ids:
                    alts.append(_marked(self.bodies[v.lo + i]))
                    inner.append((group, v.labels[i]))
                    group += 1
                layout.append((v.slot, whole, None, tuple(inner)))
            blocks.append(f"(?:(?=({'|'.join(alts)}))|)")
        plan = self.plans[bits] = (re.compile("".join(blocks)), tuple(layout), None, bits)
        return plan


def _unwrap(body: str) -> str:
    """'(?:X)Y' as 'XY' when that is the same regex (same parsed tree): alternatives that then
    start with the same literals share them in the compiled position regex (the regex parser
    moves a prefix common to all alternatives out of the branch; a group in front hides it)."""
    if not body.startswith("(?:"):
        return body
    end = _group_end(body, 0)
    if end < 0:
        return body
    plain = body[3:end] + body[end + 1:]
    try:
        same = _rx_source(_rx_tree(plain)) == _rx_source(_rx_tree(body))
    except _RegexSyntax:
        return body
    return plain if same and _compiles(plain) else body


def _marked(body: str) -> str:
    """A fragment followed by an empty group: the group is set when this alternative matched
    (``Match.lastindex`` / ``end(group) >= 0`` name its label). Not wrapped in a group when it
    needs none (see _unwrap)."""
    return body + "()" if len(_top_level_parts(body)) == 1 else f"(?:{body})()"


def _split_tokens(low: str) -> list[bytes] | list[str]:
    """The pieces of a lower-cased text between non-alphanumeric characters (one per character:
    piece i starts at sum(len(piece) + 1 for the pieces before it)); ASCII text as bytes."""
    if low.isascii():
        return low.encode("ascii").translate(_ASCII_BYTE_SEPARATORS).split(b" ")
    return low.translate(_SEPARATORS).split(" ")


class _Scan:
    """One lower-cased text: its tokens, gate bits (``ids``, on demand) and the vocabulary
    matches (per slot), computed on first use by batches of vocabularies (``batched``: a
    headline) or one vocabulary at a time (other texts, which need one or two vocabularies)."""

    __slots__ = ("low", "index", "batched", "parts", "_ids", "_before", "found", "caps")

    def __init__(self, low: str, index: _Index, batched: bool = False, caps: bool = True) -> None:
        self.caps = caps  # False: no site acronym occurs in the text (none in any window either)
        self.low = low
        self.index = index
        self.batched = batched
        self.parts = _split_tokens(low)
        self._ids: int | None = None
        self._before: list[int] | None = None
        self.found: dict[int, list[tuple[int, int, Any]]] = {}

    def offsets(self) -> list[int]:
        """before[i] + i = offset of token piece i."""
        if self._before is None:
            self._before = list(accumulate(map(len, self.parts), initial=0))
        return self._before

    @property
    def ids(self) -> int:
        """Gate bits: the fragments one of whose gate keys the text holds."""
        if self._ids is None:
            index = self.index
            self._ids = reduce(or_, filter(None, map(index.gates.__getitem__, self.parts)), index.always)
        return self._ids

    def run(self, batch: _Batch) -> None:
        """Find the matches of every vocabulary of the batch: at each token where some of their
        fragments can start, one regex call tries them all."""
        index, found, low, parts = self.index, self.found, self.low, self.parts
        for slot in batch.slots:
            found[slot] = []
        for v in batch.searched:  # a fragment without start keys: the vocabulary's own regex
            found[v.slot] = v.search_all(low, v.width)
        if not batch.mask:
            return
        plans = list(map(batch.__getitem__, parts))
        hits = list(compress(range(len(plans)), plans))
        if not hits:
            return
        before = self.offsets()
        keep_after, overlapping = index.keep_after, index.overlapping
        gate = -1
        if batch.gated:
            gate = self.ids & batch.mask
            if not gate:
                return
        for i in hits:
            rx, layout, single, bits = plans[i]
            if gate != -1:
                gated = bits & gate
                if gated != bits:
                    if not gated:
                        continue
                    rx, layout, single, bits = index.plan(gated)
            pos = before[i] + i
            if pos and low[pos - 1] in keep_after:  # the assertions the position regexes leave out
                bits &= keep_after[low[pos - 1]]
                if not bits:
                    continue
                rx, layout, single, bits = index.plan(bits)
            if single is not None:
                m = rx.match(low, pos)
                if m is not None:
                    slot, label, labels = single
                    got = found[slot]
                    if not got or got[-1][1] <= pos or slot in overlapping:
                        got.append((pos, m.end(), label if labels is None else labels[m.lastindex]))
                continue
            # the ends of the few groups read here (Match.regs would build a tuple per group)
            end_of = rx.match(low, pos).end
            for slot, group, label, inner in layout:
                end = end_of(group)
                if end < 0:
                    continue
                got = found[slot]
                if got and got[-1][1] > pos and slot not in overlapping:
                    continue  # inside the previous match of this vocabulary
                if inner is not None:
                    for g, label in inner:
                        if end_of(g) >= 0:
                            break
                got.append((pos, end, label))


class _Vocab:
    """A vocabulary: an alternation split into fragments, registered in the classifier's index."""

    _CACHE_MAX = 256

    def __init__(self, index: _Index, entries: Iterable[tuple[str, Any]], *, boundary: bool = False,
                 overlapping: bool = False) -> None:
        self.parts: list[str] = []
        self.full: list[str] = []
        self.labels: list[Any] = []
        self.lo = index.size
        for src, label in entries:
            for part in _split_alternation(src):
                full = _words(part) if boundary else part
                index.add(full)
                self.parts.append(part)
                self.full.append(full)
                self.labels.append(label)
        self.hi = index.size
        self.width = (1 << (self.hi - self.lo)) - 1
        self.mask = self.width << self.lo
        self.one_label = len({repr(label) for label in self.labels}) <= 1
        self.label = self.labels[0] if self.labels else None
        self.slot = index.register(self)
        self.overlapping = overlapping  # every position where the alternation matches, not finditer's
        if overlapping:
            index.overlapping |= {self.slot}
        self.index = index
        self.has_free = bool(index.free & self.mask)
        self.batch = _Batch(index, (self,))  # on a headline: alone, unless in a batch (see _Index.batch)
        self.start_memo = _KeyMemo(*index.start_keys, self.lo, self.width)
        self.keep_after = {c: keep >> self.lo & self.width for c, keep in index.keep_after.items()}
        self._local_plans: dict[int, tuple[re.Pattern[str], tuple[Any, ...] | None]] = {}
        self._search: dict[int, tuple[re.Pattern[str], dict[str, Any] | None]] = {}

    def search_all(self, low: str, bits: int) -> list[tuple[int, int, Any]]:
        """Matches of the alternation of the fragments ``bits`` (local), by finditer (the plain
        way, for fragments without start keys; every position for an ``overlapping`` vocabulary)."""
        plan = self._search.get(bits)
        if plan is None:
            if len(self._search) >= self._CACHE_MAX:
                self._search.clear()
            ids = [i for i in range(self.hi - self.lo) if bits >> i & 1]
            if self.one_label:  # fragments hold no top-level '|'
                plan = (_compile("|".join(self.full[i] for i in ids)), None)
            else:
                plan = (_compile("|".join(f"(?P<_{i}>{self.full[i]})" for i in ids)),
                        {f"_{i}": self.labels[i] for i in ids})
            self._search[bits] = plan
        rx, labels = plan
        found = ((m for p in range(len(low)) if (m := rx.match(low, p))) if self.overlapping else rx.finditer(low))
        if labels is None:
            return [(m.start(), m.end(), self.label) for m in found]
        return [(m.start(), m.end(), labels[m.lastgroup]) for m in found]

    def _scan_all(self, scan: _Scan) -> list[tuple[int, int, Any]]:
        """All non-overlapping (start, end, label) matches in the scanned text (computed once)."""
        got = scan.found.get(self.slot)
        if got is None:
            if scan.batched:
                scan.run(self.batch)
                got = scan.found[self.slot]
            else:
                got = scan.found[self.slot] = self.scan_alone(scan.low, scan.parts)
        return got

    def scan_alone(self, low: str, parts: list[bytes] | list[str]) -> list[tuple[int, int, Any]]:
        """The matches of this vocabulary alone, without gates: at the tokens where its fragments
        can start (``parts``: see _split_tokens)."""
        if self.has_free:
            return self.search_all(low, self.width)
        bits = list(map(self.start_memo.__getitem__, parts))
        hits = list(compress(range(len(bits)), bits))
        got: list[tuple[int, int, Any]] = []
        if hits:
            before = list(accumulate(map(len, parts), initial=0))
            keep_after, plan, label = self.keep_after, self.local_plan, self.label
            overlapping = self.overlapping
            for i in hits:
                pos = before[i] + i
                if got and got[-1][1] > pos and not overlapping:
                    continue
                b = bits[i]
                if pos and low[pos - 1] in keep_after:
                    b &= keep_after[low[pos - 1]]
                    if not b:
                        continue
                rx, labels = plan(b)
                m = rx.match(low, pos)
                if m is not None:
                    got.append((pos, m.end(), label if labels is None else labels[m.lastindex]))
        return got

    def local_plan(self, bits: int) -> tuple[re.Pattern[str], tuple[Any, ...] | None]:
        """The alternation of the fragments ``bits`` (local), at a token start (see _Index.plan)."""
        plan = self._local_plans.get(bits)
        if plan is None:
            if len(self._local_plans) >= self._CACHE_MAX:
                self._local_plans.clear()
            ids = [i for i in range(self.hi - self.lo) if bits >> i & 1]
            bodies = [self.index.bodies[self.lo + i] for i in ids]
            if self.one_label:
                plan = (re.compile("|".join(bodies)), None)
            else:
                plan = (re.compile("|".join(map(_marked, bodies))), (None, *(self.labels[i] for i in ids)))
            self._local_plans[bits] = plan
        return plan

    def matches(self, t: "_Text") -> list[tuple[int, int, Any]]:
        """Matches inside the window ``t``, in window coordinates."""
        got = t.scan.found.get(self.slot)
        if got is None:
            got = self._scan_all(t.scan)
        if not got:
            return []
        lo, hi = t.base, t.base + len(t.low)
        if lo == 0 and hi == len(t.scan.low):  # the whole text: no shift, no filter
            return list(got)
        return [(a - lo, b - lo, label) for a, b, label in got if lo <= a and b <= hi]

    def first(self, t: "_Text", pos: int = 0) -> tuple[int, int, Any] | None:
        """Leftmost match inside the window ``t`` starting at or after ``pos`` (window coordinates)."""
        got = t.scan.found.get(self.slot)
        if got is None:
            got = self._scan_all(t.scan)
        if got:
            lo, hi = t.base + pos, t.base + len(t.low)
            for a, b, label in got:
                if a >= lo and b <= hi:
                    return a - t.base, b - t.base, label
        return None

    def last(self, t: "_Text") -> tuple[int, int, Any] | None:
        """Rightmost match inside the window ``t`` (window coordinates)."""
        got = t.scan.found.get(self.slot)
        if got is None:
            got = self._scan_all(t.scan)
        if got:
            lo, hi = t.base, t.base + len(t.low)
            for a, b, label in reversed(got):
                if a >= lo and b <= hi:
                    return a - lo, b - lo, label
        return None


def _join(patterns: Iterable[str] | str) -> str:
    if isinstance(patterns, str):
        return patterns
    return "|".join(f"(?:{p})" for p in patterns)


def _words(pattern: str) -> str:
    """``pattern`` wrapped in word boundaries that also work around '.', '-' and digits."""
    return rf"(?<![\w-])(?:{pattern})(?![\w])"


def _entries(patterns: Iterable[str] | str, label: Any = None) -> list[tuple[str, Any]]:
    if isinstance(patterns, str):
        return [(patterns, label)]
    return [(p, label) for p in patterns]


# --------------------------------------------------------------------------------------------
# Classifier
# --------------------------------------------------------------------------------------------
class _Cue(NamedTuple):
    """A launch cue found in the headline (offsets into the headline)."""

    start: int
    end: int
    text: str
    status: str  # event | plan | business | neutral | negated | noun | reference | military | ...
    detail: str = ""


class _Evidence(NamedTuple):
    cls: str  # space | missile | military | nonspace | none
    word: str
    where: str  # object | subject | sentence | tags


class _Text:
    """A window of a scanned text: original case, lower-case twin (same offsets), the scan of the
    whole text (vocabulary matches are computed once per text) and the window's offset in it."""

    __slots__ = ("raw", "low", "scan", "base")

    def __init__(self, raw: str, low: str, scan: _Scan, base: int = 0) -> None:
        self.raw, self.low, self.scan, self.base = raw, low, scan, base

    @classmethod
    def of(cls, raw: str, index: _Index) -> "_Text":
        low = _lower(raw)
        return cls(raw, low, _Scan(low, index))

    def cut(self, a: int, b: int) -> "_Text":
        if a == 0 and b >= len(self.raw):  # the whole window (a one-sentence headline)
            return self
        return _Text(self.raw[a:b], self.low[a:b], self.scan, self.base + a)

    def word(self, a: int, b: int) -> str:
        return self.raw[a:b]


_NO_EVIDENCE = _Evidence("none", "", "")
_EVIDENCE_WHERE = {"object": "space object", "subject": "space subject", "sentence": "space noun in sentence",
                   "tags": "space tag/topic"}
# '[;:,()]|\s-\s|\s(?:but|...)\s' and '[;:]|\s-\s', written to start with one character set (the regex
# engine then skips to candidate characters at C speed); same matches
_CLAUSE_END = re.compile(r"[;:,()\s](?:(?<=[;:,()])|(?<=\s)(?:-\s|(?:but|while|whereas|although|though|which|who|after"
                         r"|before|as\s+part)\s))")
_CLAUSE_START = re.compile(r"[;:\s](?:(?<=[;:])|(?<=\s)-\s)")
_LAUNCH_FORMS = frozenset({"launch", "launches", "launching"})
_REF_VERBS = frozenset({"launched", "sent", "put", "placed", "lifted", "blasted", "took"})
_SUMMARY_SITE_CONTEXT = _EndRegex(r"\b(?:from|at|off)\s+(?:the\s+|its\s+|\w+'s\s+)?(?:[\w-]+\s+){0,2}$")
_ACRONYM_GATE = re.compile(r"[A-Z]{3}")
_NOT_A_NAME_END = re.compile(r"(?:ing|ed|\d(?:st|nd|rd|th))$")
_PROPER_NAME_BEFORE = re.compile(r"[A-Z][\w.-]*\s+$")


class Classifier:
    """Rule-based event classifier: build once (compiles every regex), call :meth:`classify` often."""

    def __init__(self, sites: Sequence[Site], rules: Mapping[str, Any]) -> None:
        self.sites = tuple(sites)
        self._site_by_name = {s.name: s for s in self.sites}
        self.vehicles = tuple(_vehicles_from_rules(rules))
        self._index = _Index()
        self._tag_sites: dict[str, tuple[Site, ...]] = {}
        self._topic_cache: dict[str, list[tuple[Vehicle, tuple[int, int, str]]]] = {}
        self._clean_cache: dict[str, str | None] = {}
        self._group_cache: dict[tuple[tuple[str, ...], int], Site | None] = {}
        self._compile_sites()
        self._compile_rules(rules)

    def __getstate__(self) -> dict[str, Any]:  # memos of tags, topics, tag groups and names are rebuilt on demand
        return {**self.__dict__, "_tag_sites": {}, "_topic_cache": {}, "_clean_cache": {}, "_group_cache": {}}

    @classmethod
    def from_config(cls, gazetteer: Mapping[str, Any], rules: Mapping[str, Any]) -> "Classifier":
        """Build from the parsed YAML documents (``launch_sites.yaml``, ``launch_rules.yaml``)."""
        sites = [
            Site(
                name=str(s["name"]),
                country=s.get("country"),
                lat=s.get("lat"),
                lon=s.get("lon"),
                first_year=s.get("first_year"),
                last_year=s.get("last_year"),
                aliases=tuple(s.get("aliases") or ()),
                generic_aliases=tuple(s.get("generic_aliases") or ()),
                acronyms=tuple(s.get("acronyms") or ()),
            )
            for s in gazetteer["sites"]
        ]
        return cls(sites, rules)

    # ---------------------------------------------------------------- compilation
    def _compile_sites(self) -> None:
        entries: dict[str, tuple[Site, bool]] = {}
        for site in self.sites:
            for alias in (site.name, *site.aliases):
                entries.setdefault(_lower(alias), (site, False))
            for alias in site.generic_aliases:
                entries.setdefault(_lower(alias), (site, True))
        ordered = sorted(entries, key=len, reverse=True)  # longest alias wins at one position
        self._sites_vocab = _Vocab(self._index, [(re.escape(a), entries[a]) for a in ordered], boundary=True)
        self._acronym_site = {a: s for s in self.sites for a in s.acronyms}
        # any site acronym as a plain substring: a text without one has none in any window
        self._acronym_any = (re.compile("|".join(re.escape(a) for a in sorted(self._acronym_site, key=len, reverse=True)))
                             if self._acronym_site else None)
        self._acronym_rx = (
            re.compile(r"\b(?:" + "|".join(re.escape(a) for a in sorted(self._acronym_site, key=len, reverse=True)) + r")\b")
            if self._acronym_site else None
        )

    def _compile_rules(self, r: Mapping[str, Any]) -> None:
        self._strong = _Vocab(self._index, _entries(r["launch_verbs"]))
        self._weak = _Vocab(self._index, [*_entries(r["weak_launch_phrases"], False), *_entries(r["weak_launcher_phrases"], True)])
        self._launcher_noun = _Vocab(self._index, _entries(r["launcher_nouns"]))
        self._inflight_before = _EndRegex(r["inflight_before_after_launch"])
        self._inflight = _Vocab(self._index, _entries(r["inflight_failure_verbs"]))
        m = r["modal"]
        fill = m["fillers"]
        self._modal = _EndRegex(rf"\b(?P<m>{m['negation']}|{m['future']}|to)\s+(?:{fill}\s+){{0,3}}$")
        self._negation = re.compile(rf"^(?:{m['negation']})$")
        self._future = re.compile(rf"^(?:{m['future']})$")
        self._plan_to = _EndRegex(rf"\b(?:{m['plan_before_to']})\s+(?:{fill}\s+){{0,2}}$")
        self._business_to = _EndRegex(rf"\b(?:{m['business_before_to']})\s+(?:[\w-]+\s+){{0,2}}$")
        ref = r["reference"]
        self._ref_before = _EndRegex(ref["before"])
        self._ref_after = _StartRegex(ref["after"])
        self._weak_ref_before = _EndRegex(ref["weak_before"])
        self._bare_participle = re.compile(ref["bare_participle"])
        self._auxiliary = _EndRegex(ref["auxiliary"])
        ln = r["launch_noun"]
        self._noun_before = _EndRegex(ln["before"])
        self._noun_compound = _EndRegex(ln["compound"])
        self._noun_singular = _EndRegex(ln["singular"])
        self._plural_det = _EndRegex(ln["plural_determiner"])
        # any rule about the words before a launch verb (none fires for most verbs: one check)
        self._before_any = _any_end((self._noun_before, self._noun_singular, self._noun_compound, self._modal,
                                     self._auxiliary, self._ref_before))
        self._noun_after = _StartRegex(ln["after"])

        oc = r["object_classes"]
        classes = [(p, c) for c in ("nonspace", "military", "missile", "space", "space_object") for p in oc[c]]
        classes = [(p, "space" if c == "space_object" else c) for p, c in classes]
        self._classes = _Vocab(self._index, [*classes, (oc["weak_space"], "weak")], boundary=True)
        self._space_noun = _Vocab(self._index, _entries(oc["space"]), boundary=True)
        self._missile_noun = _Vocab(self._index, _entries(oc["missile"]), boundary=True)
        self._weak_space = _Vocab(self._index, _entries(oc["weak_space"]), boundary=True)
        self._military_ctx = _Vocab(self._index, _entries(oc["military_context"]))
        sv = r["space_vocabulary"]
        self._agency = _Vocab(self._index, _entries(sv["agencies"]))
        self._space_general = _Vocab(self._index, _entries(sv["general"]))
        self._space_general_full = re.compile(sv["general"])

        self._confusers = _Vocab(self._index, [e for name, ps in r["confusers"].items() for e in _entries(ps, name)])
        self._missile_cue = _Vocab(self._index, _entries(r["missile"]["cues"]))
        self._attack = _Vocab(self._index, _entries(r["missile"]["attack"]))
        self._outcomes = [(name, _Vocab(self._index, _entries(r["outcome"][name]))) for name in ("failure", "partial", "success")]
        crew = r["crew"]
        self._uncrewed = _Vocab(self._index, _entries(crew["uncrewed"]))
        self._crewed = _Vocab(self._index, _entries(crew["crewed"]))
        self._uncrewed_payload = _Vocab(self._index, _entries(crew["uncrewed_payload"]))
        self._states = _Vocab(self._index, [(p, country) for country, p in r["launching_states"].items()])
        self._vehicles = _Vocab(self._index, [(v.source, i) for i, v in enumerate(self.vehicles)], boundary=True)
        self._launchers = _Vocab(self._index, [(v.source, i) for i, v in enumerate(self.vehicles) if v.role == "launcher"], boundary=True)

        self._space_objects = _Vocab(self._index, _entries(oc["space_object"]), boundary=True)
        self._class_vocabs = (self._classes, self._vehicles, self._sites_vocab, self._agency)
        # where a payload noun starts (every position, overlaps included: see _PayloadStarts)
        self._payload_nouns = _Vocab(self._index, [(rf"\b(?:{r['payload']['nouns']})\b", None)], overlapping=True)
        # On a headline, vocabularies run in batches (one regex call per token position): what
        # decides a launch and its facts, then the vocabularies of the other kinds and rarer paths.
        # (_space_objects is only a gate, see below: its matches are never read, it runs in no batch.)
        self._index.batch((self._strong, self._classes, self._vehicles, self._sites_vocab, self._agency,
                           self._military_ctx, *(v for _n, v in self._outcomes), self._uncrewed, self._crewed,
                           self._uncrewed_payload, self._payload_nouns), gated=True)
        self._index.batch((self._confusers, self._space_noun, self._missile_noun, self._weak, self._launcher_noun,
                           self._launchers, self._weak_space, self._inflight), gated=True)
        self._index.batch((self._space_general,), gated=True)
        self._index.batch((self._missile_cue, self._attack), gated=True)

        # Gates: "could this headline be about launches, spaceflight or missiles at all?"
        #  - space words (anything that can make a space launch, a missile test or other_space),
        #  - launch verbs, which need a space word, an ambiguous space object ("probe") or a space
        #    tag/topic to matter; the word 'launch' itself always goes the full way (for kind_reason).
        self._gate_space = reduce(or_, (v.mask for v in (
            self._space_noun, self._missile_noun, self._weak_space, self._agency, self._space_general, self._vehicles,
            self._launcher_noun, self._sites_vocab)))
        self._gate_verbs = self._strong.mask | self._weak.mask
        self._gate_objects = self._space_objects.mask

        pl = r["payload"]
        nouns = pl["nouns"]
        # a word of a name or a gap is followed by a space or ends the regex: taking it whole at
        # once ('*+') finds the same matches without trying its shorter prefixes on every retreat
        tok = r"[A-Z0-9][\w'.+/-]*+"
        name = rf"(?=[\w'.+/-]*[A-Z]){tok}(?:\s+{tok}){{0,{_NAME_WORDS - 1}}}"
        self._payload_rx = [
            re.compile(rf"\b(?P<noun>(?i:{nouns})),?\s+(?:(?i:called|named|dubbed|the)\s+)?[\"']?(?P<name>{name})"),
            re.compile(rf"(?P<name>{name})\s+(?P<gap>(?:[a-z][\w-]*+\s+){{0,{_GAP_WORDS}}}?){_first_char_check(nouns)}"
                       rf"(?P<noun>(?i:{nouns}))\b"),
            re.compile(rf"\b(?i:{'|'.join(_LAUNCHED)})\s+(?:(?i:its|the|a|an)\s+)?(?P<name>{name})"),
        ]

        self._payload_name = re.compile(name)
        self._payload_reject = re.compile("|".join(f"(?:{p})" for p in (*oc["space"], *oc["space_object"], sv["general"], sv["agencies"])))
        self._payload_stop = frozenset(w.lower() for w in pl["leading_stopwords"])

    # ---------------------------------------------------------------- public API
    def _has_acronym(self, raw: str) -> bool:
        return self._acronym_any is not None and self._acronym_any.search(raw) is not None

    def has_vocabulary(self, headline: str, context: str = "") -> bool:
        """Cheap gate: False when the headline cannot be about launches, spaceflight or missiles
        (``context``: the event's tags and topic, which can make 'lifts off' a launch)."""
        raw = normalize_text(headline)
        if not raw:
            return False
        low = _lower(raw)
        return self._relevant(raw, low, self._index.gate(low), context)

    def _relevant(self, raw: str, low: str, ids: int, context: "str | _Lazy") -> bool:
        """Whether some vocabulary gate key occurs in the text (``ids``: its candidate fragments)."""
        if ids & self._gate_space or "launch" in low:
            return True
        if self._has_acronym(raw) and _ACRONYM_GATE.search(raw) and self._acronym_rx.search(raw):
            return True
        if not ids & self._gate_verbs:
            return False
        if ids & self._gate_objects:
            return True
        if isinstance(context, _Lazy):
            context = context.raw
        return bool(context) and bool(self._index.gate(_lower(normalize_text(context))) & self._gate_space)

    def classify(
        self,
        *,
        headline: str,
        summary: str | None,
        topic: str | None,
        tags: Sequence[str],
        related_contexts: Sequence[str],
        date: dt.date,
    ) -> LaunchFacts:
        """Classify one event (see the module docstring for the rules)."""
        raw = normalize_text(headline)
        if not raw:
            return _OTHER
        low = _lower(raw)
        doc = _Text(raw, low, _Scan(low, self._index, batched=True))
        extra = _Lazy(tags, topic, self._index)
        if not self._relevant(raw, low, doc.scan.ids, extra):
            return _OTHER
        doc.scan.caps = self._has_acronym(raw)
        spans = sentence_spans(raw)
        kind, reason, sent, cue = self._decide(doc, spans, extra)
        if kind != "space_launch":
            return LaunchFacts(kind, reason, None, None, None, None, None, None, None)
        sentence = doc.cut(*sent)
        cue_pos = cue.start - sent[0]
        in_sentence = self._vehicles_in(sentence)
        vehicles = in_sentence or self._vehicles_elsewhere(doc, spans, sent)
        if not vehicles and topic:
            vehicles = self._topic_vehicles(topic)
        summary_doc = _LazyText(summary, self._index) if summary else None
        if not vehicles and summary_doc is not None:
            found = self._vehicles_in(summary_doc.text)
            if len({v.name for v, _ in found}) == 1:
                vehicles = found
        site, basis = self._resolve_site(doc, spans, sent, cue_pos, summary_doc, tags, related_contexts, vehicles, date.year)
        return LaunchFacts(
            kind="space_launch",
            kind_reason=reason,
            site=site.name if site else None,
            country=self._country(site, vehicles, sentence, cue_pos),
            site_basis=basis,
            vehicle=self._vehicle_name(vehicles),
            outcome=self._outcome(sentence),
            crewed=self._crew(doc, vehicles),
            payload=self._payload(sentence, in_sentence),
        )

    # ---------------------------------------------------------------- kind
    def _decide(self, doc: _Text, spans: list[tuple[int, int]], extra: "_Lazy") -> tuple[str, str, tuple[int, int], _Cue]:
        first_confuser = None  # of the first sentence: matters for the later sentences only
        discarded: _Cue | None = None
        missile_cue: tuple[_Cue, _Evidence] | None = None
        for i, (s0, s1) in enumerate(spans):
            sentence = doc.cut(s0, s1)
            later = i > 0
            if i == 1:
                first_confuser = self._first_confuser(doc.cut(*spans[0]))
            for cue in self._strong_cues(sentence, s0):
                ev = self._cue_evidence(sentence, cue.start - s0, cue.end - s0, extra)
                if ev.cls == "missile" and missile_cue is None:
                    missile_cue = (cue, ev)
                if cue.status != "event":
                    discarded = discarded or cue
                    continue
                if ev.cls == "space":
                    if later and first_confuser:
                        discarded = discarded or _Cue(cue.start, cue.end, cue.text, "secondary",
                                                      f"first sentence is {first_confuser[0]} '{first_confuser[1]}'")
                        continue
                    where = _EVIDENCE_WHERE[ev.where]
                    return "space_launch", f"launch verb '{cue.text}' + {where} '{ev.word}'", (s0, s1), cue
                if ev.cls in ("military", "nonspace"):
                    discarded = discarded or _Cue(cue.start, cue.end, cue.text, ev.cls, ev.word)
            if later and first_confuser:
                continue
            weak = self._weak_cue(sentence, s0)
            if weak is not None:
                cue, word = weak
                confuser = self._first_confuser(sentence)
                if confuser is None:
                    return ("space_launch", f"launch phrase '{cue.text}' + space noun '{word}', no confuser in sentence",
                            (s0, s1), cue)
                if cue.status == "inflight" and confuser[0] not in ("static_fire_or_ground_test", "rollout"):
                    return ("space_launch", f"in-flight failure '{cue.text}' + space noun '{word}' (outweighs "
                            f"{confuser[0]} '{confuser[1]}')", (s0, s1), cue)
                discarded = discarded or _Cue(cue.start, cue.end, cue.text, "confused", f"{confuser[0]} '{confuser[1]}'")

        none = _Cue(0, 0, "", "none")
        missile = self._missile(doc, spans, missile_cue)
        if missile and missile.startswith("missile:"):
            return "missile_test", missile, spans[0], none
        if missile:
            return "other", missile, spans[0], none
        space_word = self._space_word(doc)
        if space_word:
            confusers = self._all_confusers(doc)
            return "other_space", self._other_space_reason(space_word, confusers, discarded), spans[0], none
        if discarded is not None:
            return ("other", f"launch verb '{discarded.text}' {self._describe(discarded)}; no space vocabulary",
                    spans[0], none)
        return "other", "no spaceflight or missile-test evidence", spans[0], none

    def _strong_cues(self, sentence: _Text, offset: int) -> Iterable[_Cue]:
        """The launch-verb cues of a sentence, in order (each judged when the caller gets to it)."""
        raw = sentence.raw
        for a, b, _label in self._strong.matches(sentence):
            status, detail = self._cue_status(sentence, a, b)
            yield _Cue(a + offset, b + offset, raw[a:b], status, detail)

    def _cue_status(self, t: _Text, a: int, b: int) -> tuple[str, str]:
        """Whether a verb match reports a lift-off ('event') or why not."""
        low = t.low
        word = low[a:b]
        before = low[max(0, a - 60):a]
        after = low[b:b + 50]
        if word.startswith("launch") and a > 0 and low[a - 1] == "-":
            return "reference", "compound adjective ('-launched')"
        # False: none of the rules about the words before the verb matches (checked at once)
        ahead = self._before_any is None or "\n" in before or self._before_any.match(before[::-1]) is not None
        if word in _LAUNCH_FORMS:
            if (ahead and self._noun_before.search(before)) or self._noun_after.search(after):
                return "noun", "used as a noun"
            if t.raw[a] == "L" and _PROPER_NAME_BEFORE.search(t.raw, 0, a):
                return "noun", "part of a name ('Sea Launch', 'United Launch Alliance')"
            if ahead and word == "launch" and self._noun_singular.search(before):
                return "noun", "used as a noun"
            compound = self._noun_compound.search(before) if ahead else None
            if compound and (word != "launches" or self._plural_det.search(before[: compound.start() + 1])):
                return "noun", "used as a noun"
        modal = self._modal.search(before) if ahead else None
        if modal:
            mw = modal.group("m")
            if self._negation.match(mw):
                return "negated", modal.group(0).strip()
            if self._future.match(mw):
                return "plan", modal.group(0).strip()
            head = before[: modal.start()]
            plan = self._plan_to.search(head)
            if plan:
                return "plan", (plan.group(0) + modal.group(0)).strip()
            business = self._business_to.search(head)
            if business:
                return "business", (business.group(0) + modal.group(0)).strip()
            return "neutral", modal.group(0).strip()
        if self._bare_participle.match(word) and not (ahead and self._auxiliary.search(before)):
            return "reference", "participle modifying a noun ('a satellite put into orbit, ...')"
        if word.split()[0] in _REF_VERBS or word.endswith("launched"):
            if (ahead and word.endswith("launched") and self._ref_before.search(before)) or self._ref_after.search(after):
                return "reference", "back-reference to an earlier launch"
        return "event", ""

    def _cue_evidence(self, sentence: _Text, start: int, end: int, extra: "_Lazy") -> _Evidence:
        """Class of what the cue launched: its object, else its subject, else the sentence."""
        low = sentence.low
        military_ctx = self._military_ctx.first(sentence) is not None
        obj_end = min(len(low), end + 100)
        stop = _CLAUSE_END.search(low, end, obj_end)
        if stop:
            obj_end = stop.start()
        hit = self._first_class(sentence.cut(end, obj_end), military_ctx, first=True)
        if hit:
            return _Evidence(hit[0], hit[1], "object")
        subj_start = max(0, start - 140)
        for cut in _CLAUSE_START.finditer(low, subj_start, start):
            subj_start = cut.end()
        hit = self._first_class(sentence.cut(subj_start, start), military_ctx, first=False)
        if hit:
            return _Evidence(hit[0], hit[1], "subject")
        missile = self._missile_noun.first(sentence)
        space = self._strong_space(sentence, military_ctx)
        if space and not missile:
            return _Evidence("space", space, "sentence")
        if missile:
            return _Evidence("missile", sentence.word(missile[0], missile[1]), "sentence")
        if extra.text is not None:
            space = self._strong_space(extra.text, False)
            if space:
                return _Evidence("space", space, "tags")
        return _NO_EVIDENCE

    def _first_class(self, window: _Text, military_ctx: bool, *, first: bool) -> tuple[str, str] | None:
        """First (or last) class word, vehicle or site in ``window`` (at one position: the least /
        greatest (class, word))."""
        hits: list[tuple[int, str, str]] = []
        raw = window.raw
        for vocab in self._class_vocabs:
            hit = vocab.first(window) if first else vocab.last(window)
            if hit is not None:
                a, b, cls = hit
                if vocab is not self._classes:
                    cls = "space"
                elif cls == "weak":
                    cls = "military" if military_ctx else "space"
                hits.append((a, cls, raw[a:b]))
        if self._acronym_rx is not None and window.scan.caps and _ACRONYM_GATE.search(raw):
            found = [(m.start(), "space", m.group(0)) for m in self._acronym_rx.finditer(raw)]
            if found:
                hits.append(found[0] if first else found[-1])
        if not hits:
            return None
        _pos, cls, word = min(hits) if first else max(hits)
        return cls, word

    def _strong_space(self, t: _Text, military_ctx: bool) -> str | None:
        """A word that makes the text unambiguously about spaceflight."""
        for vocab in (self._space_noun, self._vehicles, self._agency, self._sites_vocab):
            hit = vocab.first(t)
            if hit:
                return t.word(hit[0], hit[1])
        if self._acronym_rx is not None and t.scan.caps and _ACRONYM_GATE.search(t.raw):
            m = self._acronym_rx.search(t.raw)
            if m:
                return m.group(0)
        if not military_ctx:
            hit = self._weak_space.first(t)
            if hit:
                return t.word(hit[0], hit[1])
        return None

    def _weak_cue(self, sentence: _Text, offset: int) -> tuple[_Cue, str] | None:
        low, scan = sentence.low, sentence.scan
        if self._missile_noun.first(sentence):
            return None
        military_ctx = self._military_ctx.first(sentence) is not None
        for a, b, needs_launcher in self._weak.matches(sentence):
            if self._weak_ref_before.search(low[max(0, a - 30):a]):
                continue
            modal = self._modal.search(low[max(0, a - 60):a])
            if modal and not self._negation.match(modal.group("m")):
                continue
            space = self._strong_space(sentence, military_ctx)
            if not space:
                continue
            if needs_launcher and not self._launcher(sentence):
                continue
            status = "inflight" if self._inflight_before.search(low, max(0, a - 80), a) else "event"
            return _Cue(a + offset, b + offset, sentence.word(a, b), status), space
        if military_ctx:
            return None
        launcher = self._launcher(sentence)
        if launcher:
            fail = self._inflight.first(sentence, launcher[1])
            if fail:
                return _Cue(fail[0] + offset, fail[1] + offset, sentence.word(fail[0], fail[1]), "event"), \
                    sentence.word(launcher[0], launcher[1])
        return None

    def _launcher(self, t: _Text) -> tuple[int, int, Any] | None:
        hits = [h for h in (self._launcher_noun.first(t), self._launchers.first(t)) if h]
        return min(hits) if hits else None

    def _all_confusers(self, t: _Text) -> list[tuple[str, str]]:
        """Confuser families found in the text, first occurrence of each, in order."""
        seen: dict[str, str] = {}
        for a, b, family in self._confusers.matches(t):
            seen.setdefault(family, t.word(a, b))
        return list(seen.items())

    def _first_confuser(self, t: _Text) -> tuple[str, str, int] | None:
        hit = self._confusers.first(t)
        return None if hit is None else (hit[2], t.word(hit[0], hit[1]), hit[0])

    def _missile(self, doc: _Text, spans: list[tuple[int, int]], cue: tuple[_Cue, _Evidence] | None) -> str | None:
        """'missile: ...' when the headline reports a missile test, 'attack, ...' when it reports a
        missile attack, else None (first sentence, or later ones when the first is not about spaceflight)."""
        for i, (s0, s1) in enumerate(spans):
            sentence = doc.cut(s0, s1)
            noun = self._missile_noun.first(sentence)
            if not noun:
                military_ctx = self._military_ctx.first(sentence) is not None
                if i == 0 and self._strong_space(sentence, military_ctx):
                    return None
                continue
            attack = self._attack.first(sentence)
            if attack:
                return (f"attack, not a test: missile noun '{sentence.word(noun[0], noun[1])}' + attack wording "
                        f"'{sentence.word(attack[0], attack[1])}'")
            if cue and s0 <= cue[0].start < s1:
                return f"missile: launch verb '{cue[0].text}' + missile noun '{cue[1].word}'"
            trigger = self._missile_cue.first(sentence)
            if trigger:
                return (f"missile: missile noun '{sentence.word(noun[0], noun[1])}' + cue "
                        f"'{sentence.word(trigger[0], trigger[1])}'")
        return None

    def _space_word(self, doc: _Text) -> str | None:
        military_ctx = self._military_ctx.first(doc) is not None
        for vocab in (self._space_noun, self._vehicles, self._agency, self._space_general):
            for a, b, _l in vocab.matches(doc):
                word = doc.low[a:b]
                if military_ctx and word.startswith("rocket"):
                    continue
                if word.startswith("satellite"):
                    cls = self._classes.first(doc, a)
                    if cls is not None and cls[0] == a and cls[2] == "nonspace":
                        continue
                return doc.word(a, b)
        return None

    @staticmethod
    def _describe(cue: _Cue) -> str:
        return {
            "plan": f"is future/planned ('{cue.detail}')",
            "business": f"is a permission/contract to launch ('{cue.detail}')",
            "neutral": f"is an infinitive ('{cue.detail}')",
            "negated": f"is negated ('{cue.detail}')",
            "noun": "is a noun ('the launch', 'rocket launch')",
            "reference": f"is a {cue.detail}",
            "military": f"has a military object '{cue.detail}'",
            "nonspace": f"has a non-space object '{cue.detail}'",
            "confused": f"is a weak phrase in a sentence with {cue.detail}",
            "secondary": f"is in a later sentence while the {cue.detail}",
        }.get(cue.status, cue.status)

    def _other_space_reason(self, space_word: str, confusers: list[tuple[str, str]], discarded: _Cue | None) -> str:
        parts = []
        if confusers:
            parts.append("confuser " + ", ".join(f"{family} '{word}'" for family, word in confusers[:3]))
        if discarded:
            parts.append(f"launch verb '{discarded.text}' {self._describe(discarded)}")
        if not parts:
            parts.append("no launch verb")
        return f"space word '{space_word}' but " + "; ".join(parts) + "; no lift-off reported"

    # ---------------------------------------------------------------- site / vehicle / country
    def _site_mentions(self, t: _Text) -> list[tuple[int, Site, bool]]:
        out = [(a, site, generic) for a, _b, (site, generic) in self._sites_vocab.matches(t)]
        if self._acronym_rx is not None and t.scan.caps and _ACRONYM_GATE.search(t.raw):
            out += [(m.start(), self._acronym_site[m.group(0)], False) for m in self._acronym_rx.finditer(t.raw)]
        return sorted(out, key=lambda x: x[0])

    @staticmethod
    def _pick_site(mentions: list[tuple[int, Site, bool]], cue_pos: int) -> Site | None:
        """Prefer a mention after the cue ('lifts off from X'); a specific alias beats a generic one."""
        if not mentions:
            return None
        ordered = [m for m in mentions if m[0] >= cue_pos] + [m for m in mentions if m[0] < cue_pos]
        best = ordered[0]
        if best[2]:
            best = next((m for m in ordered if not m[2]), best)
        return best[1]

    def _resolve_site(self, doc: _Text, spans, sent, cue_pos: int, lazy_summary: "_LazyText | None",
                      tags: Sequence[str], related: Sequence[str], vehicles, year: int) -> tuple[Site | None, str | None]:
        site = self._pick_site(self._site_mentions(doc.cut(*sent)), cue_pos)
        if site:
            return site, "text"
        rest = {s.name: s for a, b in spans if (a, b) != tuple(sent) for _p, s, _g in self._site_mentions(doc.cut(a, b))}
        if len(rest) == 1:
            return next(iter(rest.values())), "text"
        if lazy_summary is not None:
            summary = lazy_summary.text
            in_context = {s.name: s for pos, s, _g in self._site_mentions(summary)
                          if _SUMMARY_SITE_CONTEXT.search(summary.low, max(0, pos - 40), pos)}
            if len(in_context) == 1:
                return next(iter(in_context.values())), "text"
        for group in (tags, related):
            if not group:
                continue
            site = self._group_site(group, year)
            if site is not None:
                return site, "tags"
        for role in ("launcher", "spacecraft"):
            for v, _span in vehicles:
                name = v.site_in(year) if v.role == role else None
                if name and name in self._site_by_name:
                    return self._site_by_name[name], "vehicle"
        return None, None

    def _group_site(self, group: Sequence[str], year: int) -> Site | None:
        """The one site active in ``year`` that a group of tags names, else None (memo: tag groups
        repeat across events)."""
        key = (tuple(group), year)
        got = self._group_cache.get(key, _MISSING)
        if got is _MISSING:
            if len(self._group_cache) >= _MEMO_MAX:
                self._group_cache.clear()
            named = {s.name: s for s in self._group_sites(group) if s.active(year)}
            got = self._group_cache[key] = next(iter(named.values())) if len(named) == 1 else None
        return got

    def _group_sites(self, group: Sequence[str]) -> Iterable[Site]:
        """Sites named in a group of tags, as if the tags were one text joined with ' | '. Each tag
        is looked up once per classifier (tags repeat across events); tags holding markup that
        normalisation could join across tags ('[http...', '{{...') take the joined text."""
        if any("[" in t or "{" in t for t in group):
            joined = _Text.of(normalize_text(" | ".join(group)), self._index)
            return [s for _p, s, _g in self._site_mentions(joined)]
        cache = self._tag_sites
        out: list[Site] = []
        for tag in group:
            got = cache.get(tag)
            if got is None:
                if len(cache) >= _MEMO_MAX:
                    cache.clear()
                text = normalize_text(tag)
                got = cache[tag] = tuple(s for _p, s, _g in self._site_mentions(_Text.of(text, self._index))) if text else ()
            out.extend(got)
        return out

    def _topic_vehicles(self, topic: str) -> list[tuple[Vehicle, tuple[int, int, str]]]:
        """Vehicles named in a topic line (memo: topics repeat across the events of a story)."""
        cache = self._topic_cache
        got = cache.get(topic)
        if got is None:
            if len(cache) >= _MEMO_MAX:
                cache.clear()
            got = cache[topic] = self._vehicles_in(_Text.of(normalize_text(topic), self._index))
        return list(got)

    def _vehicles_in(self, t: _Text) -> list[tuple[Vehicle, tuple[int, int, str]]]:
        """Vehicles named in the text, in order of appearance, with (start, end, text)."""
        if not t.raw:
            return []
        return [(self.vehicles[i], (a, b, t.word(a, b))) for a, b, i in self._vehicles.matches(t)]

    def _vehicles_elsewhere(self, doc: _Text, spans, sent) -> list[tuple[Vehicle, tuple[int, int, str]]]:
        """Vehicles of the other headline sentences that do not report a launch of their own."""
        for a, b in spans:
            if (a, b) == tuple(sent):
                continue
            other = doc.cut(a, b)
            found = self._vehicles_in(other)
            if found and not any(c.status == "event" for c in self._strong_cues(other, a)):
                return found
        return []

    @staticmethod
    def _vehicle_name(vehicles) -> str | None:
        for role in ("launcher", "spacecraft"):
            for v, _span in vehicles:
                if v.role == role:
                    return v.name
        return None

    def _country(self, site: Site | None, vehicles, sentence: _Text, cue_pos: int) -> str | None:
        if site is not None:
            return site.country
        for role in ("launcher", "spacecraft"):
            for v, _span in vehicles:
                if v.role == role and v.country:
                    return v.country
        for segment in (sentence.cut(0, cue_pos), sentence):
            found = {label for _a, _b, label in self._states.matches(segment)}
            if len(found) == 1:
                return found.pop()
            if len(found) > 1:
                return None
        return None

    # ---------------------------------------------------------------- outcome / crew / payload
    def _outcome(self, sentence: _Text) -> str:
        for name, vocab in self._outcomes:
            if vocab.first(sentence):
                return name
        return "unknown"

    def _crew(self, doc: _Text, vehicles) -> bool | None:
        """Explicit uncrewed words > crew words > the vehicle's flag > an uncrewed-looking payload."""
        if self._uncrewed.first(doc):
            return False
        if self._crewed.first(doc):
            return True
        for v, _span in vehicles:
            if v.crewed is not None:
                return v.crewed
        if self._uncrewed_payload.first(doc):
            return False
        return None

    def _payload(self, sentence: _Text, vehicles) -> str | None:
        """Payload name from the decisive sentence (best effort), else a named spacecraft."""
        raw = sentence.raw
        launcher_spans = None
        starts = _PayloadStarts(sentence, self._payload_nouns)
        for rx, where in zip(self._payload_rx, (starts.nouns, starts.names, starts.verbs)):
            for m in rx.finditer(raw) if starts.plain else _finditer_at(rx, raw, where()):
                a, b = m.span("name")
                if launcher_spans is None:
                    launcher_spans = [(s, e) for v, (s, e, _w) in vehicles if v.role == "launcher"]
                    launcher_spans += [(s, e) for s, e, _l in self._sites_vocab.matches(sentence)]
                if any(s < b and a < e for s, e in launcher_spans):
                    continue
                groups = m.groupdict()
                noun = groups.get("noun") or ""
                if noun[:1].isupper() and m.start("noun") < a and not _COMMA_OR_QUOTE.search(raw, m.end("noun"), a):
                    continue  # "Mars Orbiter Mission": the noun belongs to a name
                name = self._clean_payload(groups["name"])
                if name and noun[:1].isupper() and m.start("noun") > a and not groups.get("gap"):
                    name = f"{name} {noun}"  # "ExoMars Trace Gas Orbiter"
                if name:
                    return name
        for v, (_a, _b, text) in vehicles:
            if v.role == "spacecraft":
                return text
        return None

    def _clean_payload(self, name: str) -> str | None:
        """The payload name without leading/trailing stop words; None when nothing name-like is left
        (memo: a pure function of the text)."""
        got = self._clean_cache.get(name, _MISSING)
        if got is _MISSING:
            if len(self._clean_cache) >= _MEMO_MAX:
                self._clean_cache.clear()
            got = self._clean_cache[name] = self._clean_name(name)
        return got

    def _clean_name(self, name: str) -> str | None:
        words = name.split()
        while words and (words[0].lower().strip("'\"") in self._payload_stop or words[0].endswith("'s")):
            words.pop(0)
        while words and (words[-1].lower() in self._payload_stop or _NOT_A_NAME_END.search(words[-1])):
            words.pop()
        name = " ".join(words).strip(" ,.'\"")
        if len(name) < 2 or not self._payload_name.fullmatch(name) or self._payload_reject.fullmatch(name.lower()):
            return None
        return name


class _LazyText:
    """A secondary text (the summary), normalised and scanned only if some rule needs it."""

    __slots__ = ("_raw", "_index", "_text")

    def __init__(self, raw: str, index: _Index) -> None:
        self._raw = raw
        self._index = index
        self._text: _Text | None = None

    @property
    def text(self) -> _Text:
        if self._text is None:
            self._text = _Text.of(normalize_text(self._raw), self._index)
        return self._text


class _Lazy:
    """Tags + topic as one text ('tag | tag | topic'), joined and scanned only if some rule needs it."""

    __slots__ = ("_tags", "_topic", "_index", "_text")

    def __init__(self, tags: Sequence[str], topic: str | None, index: _Index) -> None:
        self._tags, self._topic = tags, topic
        self._index = index
        self._text: _Text | None = None

    @property
    def raw(self) -> str:
        return " | ".join((*self._tags, self._topic or "")) if (self._tags or self._topic) else ""

    @property
    def text(self) -> _Text | None:
        if self._text is None:
            raw = self.raw
            if raw.strip(" |"):
                self._text = _Text.of(normalize_text(raw), self._index)
        return self._text


_MISSING = object()


_LAUNCHED = ("launches", "launched")
_COMMA_OR_QUOTE = re.compile(r"[,\"']")
_NAME_WORDS = 4  # words of a payload name
_GAP_WORDS = 3  # lower-case words between a payload name and its noun
_NOT_NAME_CHAR = re.compile(r"[^\w'.+/\- ]")  # no name word or gap word holds these
_WORD_CAPITAL = re.compile(r" [^ A-Z0-9]*([A-Z0-9])")  # the first capital or digit of each word


def _find_all(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out


class _PayloadStarts:
    """Where the payload regexes can match in a sentence (plain ASCII text with single spaces;
    otherwise ``plain`` and the sentence is scanned in full):
      0. '<noun>, called <Name>' starts at a payload noun,
      1. '<Name> [<gap>] <noun>' starts at most _NAME_WORDS + _GAP_WORDS words before a noun that
         follows a space, after the last character no name word holds, at the first capital or
         digit of a word (the name's first word runs to the next space: if it fails there, it
         fails at the word's later capitals too),
      2. 'launches <Name>' starts at 'launches' / 'launched'."""

    __slots__ = ("raw", "low", "plain", "_nouns")

    def __init__(self, sentence: "_Text", nouns: "_Vocab") -> None:
        raw = self.raw = sentence.raw
        self.low = sentence.low
        self.plain = not (raw.isascii() and raw.isprintable()) or "  " in raw or nouns.has_free
        self._nouns = [] if self.plain else [a for a, _b, _l in nouns.matches(sentence)]

    def nouns(self) -> list[int]:
        return self._nouns

    def names(self) -> list[int]:
        raw, out = self.raw, set()
        reach = _NAME_WORDS + _GAP_WORDS
        for q in self._nouns:
            if q == 0 or raw[q - 1] != " ":
                continue
            head = raw[:q - 1]
            words = head.rsplit(" ", reach)
            lo = len(words[0]) + 1 if len(words) > reach else 0
            for m in _NOT_NAME_CHAR.finditer(head, lo):
                lo = m.end()
            out.update([m.start(1) + lo - 1 for m in _WORD_CAPITAL.finditer(" " + head[lo:])])
        return sorted(out)

    def verbs(self) -> list[int]:
        return sorted(i for verb in _LAUNCHED for i in _find_all(self.low, verb))


def _finditer_at(rx: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterable[re.Match[str]]:
    """``rx.finditer(text)`` when ``starts`` (ascending) holds every position where rx can match."""
    end = 0
    for pos in starts:
        if pos >= end:
            m = rx.match(text, pos)
            if m is not None:
                end = m.end()
                yield m


_OTHER = LaunchFacts("other", "no space or missile vocabulary", None, None, None, None, None, None, None)


def _vehicles_from_rules(rules: Mapping[str, Any]) -> list[Vehicle]:
    out = []
    for v in rules.get("vehicles") or ():
        sites = tuple((s["site"], int(s["from"]), int(s["to"])) for s in v.get("sites") or ())
        out.append(Vehicle(str(v["name"]), str(v.get("role", "launcher")), v.get("country"), v.get("crewed"),
                           _join(v["aliases"]), sites))
    return out
