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

Speed (about 10^6 events, most of them not about spaceflight): every vocabulary regex is split into
its alternatives, and for each alternative the most selective literal word it must contain is
derived from the regex itself (``gate_keys``). A trie of those words answers "other" for an event
without space/missile vocabulary in a few microseconds; for the rest, only the alternatives whose
word occurs in the headline are run, as one alternation compiled once per distinct subset, and
each vocabulary is scanned once per headline.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

try:  # the regex parser is private; without it the vocabulary gates are simply off (slower, same results)
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python versions
    _sre = _sre_parser = None  # type: ignore[assignment]

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


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:U\.S|U\.K|U\.N|p\.m|a\.m|Dr|St|Mr|Mrs|Ms|Jr|Sr|No|Gen|Lt|Col|Capt|Sgt|Inc|Ltd|Co|Corp|vs|Mt|Ft"
    r"|approx|est|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec|Rep|Sen|Gov|Prof|Adm|Maj|Rev|Ave|Bros|e\.g|i\.e|etc))\.$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text`` (abbreviation-aware)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(text):
        head = text[start:m.start()].rstrip("\"')]")
        if _ABBREVIATION.search(head[-12:]):
            continue
        spans.append((start, m.start()))
        start = m.end()
    if start < len(text) or not spans:
        spans.append((start, len(text)))
    return spans


# --------------------------------------------------------------------------------------------
# Regex helpers: literal-prefix gates
# --------------------------------------------------------------------------------------------
_GATE_LEN = 5
_GATE_MAX = 4000
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)} if _sre else set()
_WORD_END = [(_sre.IN, [(_sre.CATEGORY, _sre.CATEGORY_WORD)])] if _sre else []
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


def _walk(items: Iterable[tuple[Any, Any]], states: set[_GateState]) -> set[_GateState] | None:
    for op, av in items:
        if not any(st[1] for st in states):
            break
        states = _step(op, av, states)
        if states is None or len(states) > _GATE_MAX:
            return None
    return states


def _extend(states: set[_GateState], chars: Iterable[str]) -> set[_GateState]:
    out: set[_GateState] = set()
    for st in states:
        s, open_, _exact = st
        if not open_:
            out.add(st)
            continue
        for c in chars:
            if c.isalnum():
                t = s + c
                out.add((t, len(t) < _GATE_LEN, False))
            else:  # a token ends here: the text so far is a whole token
                out.add((s, False, bool(s)))
    return out


def _close(states: set[_GateState]) -> set[_GateState]:
    return {(s, False, exact) for s, _o, exact in states}


def _end_token(states: set[_GateState]) -> set[_GateState]:
    return {(s, False, True) if open_ and s else (s, open_, exact) for s, open_, exact in states}


def _step(op: Any, av: Any, states: set[_GateState]) -> set[_GateState] | None:
    if op is _sre.AT:
        return _end_token(states) if av is _sre.AT_BOUNDARY else states
    if op is _sre.ASSERT_NOT:
        direction, sub = av
        return _end_token(states) if direction == 1 and list(sub) == _WORD_END else states
    if op is _sre.ASSERT:
        return states
    if op is _sre.LITERAL:
        return _extend(states, {chr(av).lower()})
    if op is _sre.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is _sre.LITERAL:
                chars.add(chr(iav).lower())
            elif iop is _sre.RANGE and iav[1] - iav[0] <= 10:
                chars.update(chr(c).lower() for c in range(iav[0], iav[1] + 1))
            elif iop is _sre.CATEGORY and iav is _sre.CATEGORY_SPACE:
                chars.add(" ")
            else:
                return _close(states)
        return _extend(states, chars) if len(chars) <= 12 else _close(states)
    if op is _sre.SUBPATTERN:
        return _walk(av[3], states)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _walk(av, states)
    if op is _sre.BRANCH:
        out: set[_GateState] = set()
        for alt in av[1]:
            res = _walk(alt, set(states))
            if res is None:
                return None
            out |= res
        return out
    if op in _REPEATS:
        lo, hi, item = av
        once = _walk(item, set(states))
        if once is None:
            return None
        if hi != 1:
            once = _close(once)
        return (states | once) if lo == 0 else once
    return _close(states)


def _is_separator(op: Any, av: Any) -> bool:
    """A mandatory run of non-alphanumeric characters (space, hyphen...): a new token starts after it."""
    if op is _sre.LITERAL:
        return not chr(av).isalnum()
    if op in _REPEATS and av[0] >= 1:
        return bool(av[2]) and all(_is_separator(o, a) for o, a in av[2])
    if op is _sre.IN:
        return all((o is _sre.CATEGORY and a is _sre.CATEGORY_SPACE) or (o is _sre.LITERAL and not chr(a).isalnum())
                   for o, a in av)
    return False


def gate_keys(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """Token keys one of which every match of ``pattern`` must contain: ``(exact, prefixes)`` where
    an exact key is a whole lower-case token and a prefix key the first 1-4 characters of one.
    The most selective anchor is chosen: the start of the match or a word after a mandatory
    space ('to\\s+orbit' is gated on 'orbit'). None when no literal anchor exists."""
    if _sre_parser is None:
        return None
    try:
        items = _flatten(list(_sre_parser.parse(pattern, re.IGNORECASE)))
    except re.error:
        return None
    best: tuple[float, tuple[frozenset[str], frozenset[str]]] | None = None
    for i in _anchor_starts(items):
        states = _walk(items[i:], {("", True, False)})
        if not states or any(not s for s, _o, _e in states):
            continue
        exact = frozenset(s for s, _o, e in states if e)
        prefixes = frozenset(s for s, _o, e in states if not e)
        cost = sum(_key_cost(k, True) for k in exact) + sum(_key_cost(k, False) for k in prefixes)
        if best is None or cost < best[0]:
            best = (cost, (exact, prefixes))
    return None if best is None else best[1]


def _key_cost(key: str, exact: bool) -> float:
    """Rough share of headlines a gate key lets through (lower is more selective)."""
    if exact:
        return 20.0 if key in _COMMON_TOKENS else {1: 10.0, 2: 3.0, 3: 1.5, 4: 0.5}.get(len(key), 0.3)
    if key in _COMMON_PREFIXES:
        return 8.0
    return {5: 0.5, 4: 1.0, 3: 3.0, 2: 10.0}.get(len(key), 30.0)


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Inline groups that hold a plain sequence ('(?:long\\s+march)' -> 'long\\s+march')."""
    out: list[tuple[Any, Any]] = []
    for op, av in items:
        if op is _sre.SUBPATTERN and not any(o is _sre.BRANCH for o, _a in av[3]):
            out.extend(_flatten(list(av[3])))
        else:
            out.append((op, av))
    return out


def _anchor_starts(items: list[tuple[Any, Any]]) -> list[int]:
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
            if not (op_i in _REPEATS and av_i[0] == 0 and _ends_with_separator(av_i[2])):
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
    if op is _sre.SUBPATTERN:
        return _ends_with_separator(av[3])
    if op is _sre.BRANCH:
        return all(_ends_with_separator(alt) for alt in av[1])
    if op in _REPEATS:
        return _ends_with_separator(av[2])
    return False


def _trie_pattern(words: Iterable[str], whole: Iterable[str] = ()) -> str:
    """A regex matching any of ``words`` as a prefix, or any of ``whole`` as a whole token
    (literal, lower case), structured as one trie so that the regex engine can skip fast."""
    root: dict[str, Any] = {}
    for w, mark in [*((w, "") for w in words), *((w, "=") for w in whole)]:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[mark] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(k) + build(v) for k, v in sorted(node.items()) if k not in ("", "=")]
        if "" in node:  # a prefix ends here: anything may follow
            return f"(?:{'|'.join(alts)})?" if alts else ""
        if "=" in node:
            alts.append(r"(?![^\W_])")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(root)


def _split_alternation(pattern: str) -> list[str]:
    """Top-level alternatives of a regex ('a|(?:b|c)' -> ['a', '(?:b|c)'])."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    parts = [p for p in parts if p]
    if len(parts) == 1:
        m = _DISTRIBUTABLE.match(parts[0])
        if m and _group_end(parts[0], m.start("body") - 3) == m.end("body"):
            inner = _split_alternation(m.group("body"))
            if len(inner) > 1:
                return [f"{m.group('pre')}(?:{p}){m.group('post')}" for p in inner]
    return parts


def _group_end(pattern: str, open_at: int) -> int:
    """Offset of the ')' closing the group opened at ``open_at`` (-1 if unbalanced)."""
    depth = 0
    in_class = False
    i = open_at
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


# '\b(?:a|b|c)\b' -> '\b(?:a)\b', '\b(?:b)\b', ... (each alternative gets its own gate)
_DISTRIBUTABLE = re.compile(r"^(?P<pre>\\b|)\(\?:(?P<body>.*)\)(?P<post>\\b|\(\?!\\w\)|)$", re.DOTALL)


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile for lower-cased text; IGNORECASE only when the pattern has an upper-case literal."""
    needs_case = bool(re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)))
    return re.compile(pattern, re.IGNORECASE if needs_case else 0)


_TOKEN = re.compile(r"[^\W_]+")
_ALNUM_HEAD = re.compile(r"[^\W_]*")


class _Scan:
    """The tokens of one lower-cased text (for vocabulary gates) and the vocabulary matches found
    in it so far (each vocabulary runs once per text)."""

    __slots__ = ("low", "tokens", "_prefixes", "found")

    def __init__(self, low: str) -> None:
        self.low = low
        self.tokens = set(_TOKEN.findall(low))
        self._prefixes: dict[int, set[str]] = {}
        self.found: dict[int, list[tuple[int, int, Any]]] = {}

    def prefixes(self, n: int) -> set[str]:
        got = self._prefixes.get(n)
        if got is None:
            got = self._prefixes[n] = {t[:n] for t in self.tokens}
        return got


class _Vocab:
    """A vocabulary alternation split into fragments. Per text, only the fragments one of whose
    literal prefixes starts a token of the text are kept (an inverted index keeps that to a few set
    lookups) and run as one alternation (compiled once per distinct fragment subset). Matches
    behave like the full alternation: leftmost first, the earlier fragment wins a tie."""

    _CACHE_MAX = 256  # compiled alternations kept per vocabulary (distinct candidate subsets)

    def __init__(self, entries: Iterable[tuple[str, Any]], *, boundary: bool = False) -> None:
        self._boundary = boundary
        self._parts: list[str] = []
        self._frags: list[tuple[re.Pattern[str], Any]] = []
        self._always: list[int] = []
        self._index: dict[int, dict[str, list[int]]] = {}
        self._exact: dict[str, list[int]] = {}
        self._combined: dict[tuple[int, ...], re.Pattern[str]] = {}
        for src, label in entries:
            for part in _split_alternation(src):
                i = len(self._frags)
                self._parts.append(part)
                self._frags.append((_compile(_words(part) if boundary else part), label))
                keys = gate_keys(_words(part) if boundary else part)
                if keys is None:
                    self._always.append(i)
                    continue
                for k in keys[0]:
                    self._exact.setdefault(k, []).append(i)
                for k in keys[1]:
                    self._index.setdefault(len(k), {}).setdefault(k, []).append(i)
        self.gateable = not self._always
        self._one_label = len({repr(label) for _rx, label in self._frags}) <= 1
        self._lookup = [(n, keys, frozenset(keys)) for n, keys in sorted(self._index.items())]
        self.exact_keys = frozenset(self._exact)
        self.prefix_keys = {n: frozenset(keys) for n, keys in self._index.items()}

    def _alternation(self, ids: tuple[int, ...]) -> re.Pattern[str]:
        rx = self._combined.get(ids)
        if rx is None:
            if len(self._combined) >= self._CACHE_MAX:
                self._combined.clear()
            body = "|".join(f"(?:{self._parts[i]})" for i in ids)
            rx = self._combined[ids] = _compile(_words(body) if self._boundary else body)
        return rx

    def _candidates(self, scan: "_Scan") -> list[int]:
        ids = set(self._always)
        for k in scan.tokens.intersection(self.exact_keys):
            ids.update(self._exact[k])
        for n, keys, frozen in self._lookup:
            for k in scan.prefixes(n) & frozen:
                ids.update(keys[k])
        return sorted(ids)

    def _scan_all(self, scan: "_Scan") -> list[tuple[int, int, Any]]:
        """All non-overlapping (start, end, label) matches in the scanned text (computed once)."""
        got = scan.found.get(id(self))
        if got is not None:
            return got
        ids = tuple(self._candidates(scan))
        low = scan.low
        got = []
        if 0 < len(ids) <= 3:  # few candidates: run them one by one, merge like an alternation
            hits = sorted((m.start(), i, m.end(), self._frags[i][1]) for i in ids for m in self._frags[i][0].finditer(low))
            end = -1
            for a, _i, e, label in hits:
                if a >= end:
                    got.append((a, e, label))
                    end = e
        elif ids:
            rx = self._alternation(ids)
            if self._one_label:
                label = self._frags[0][1]
                got = [(m.start(), m.end(), label) for m in rx.finditer(low)]
            else:
                for m in rx.finditer(low):
                    a = m.start()
                    label = next((self._frags[i][1] for i in ids if self._frags[i][0].match(low, a)), None)
                    got.append((a, m.end(), label))
        scan.found[id(self)] = got
        return got

    def matches(self, t: "_Text") -> list[tuple[int, int, Any]]:
        """Matches inside the window ``t``, in window coordinates."""
        lo, hi = t.base, t.base + len(t.low)
        return [(a - lo, b - lo, label) for a, b, label in self._scan_all(t.scan) if lo <= a and b <= hi]

    def first(self, t: "_Text", pos: int = 0) -> tuple[int, int, Any] | None:
        """Leftmost match inside the window ``t`` starting at or after ``pos`` (window coordinates)."""
        lo, hi = t.base + pos, t.base + len(t.low)
        for a, b, label in self._scan_all(t.scan):
            if a >= lo and b <= hi:
                return a - t.base, b - t.base, label
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
@dataclass(frozen=True)
class _Cue:
    """A launch cue found in the headline (offsets into the headline)."""

    start: int
    end: int
    text: str
    status: str  # event | plan | business | neutral | negated | noun | reference | military | ...
    detail: str = ""


@dataclass(frozen=True)
class _Evidence:
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
    def of(cls, raw: str) -> "_Text":
        low = _lower(raw)
        return cls(raw, low, _Scan(low))

    def cut(self, a: int, b: int) -> "_Text":
        return _Text(self.raw[a:b], self.low[a:b], self.scan, self.base + a)

    def word(self, a: int, b: int) -> str:
        return self.raw[a:b]


_NO_EVIDENCE = _Evidence("none", "", "")
_CLAUSE_END = re.compile(r"[;:,()]|\s-\s|\s(?:but|while|whereas|although|though|which|who|after|before|as\s+part)\s")
_CLAUSE_START = re.compile(r"[;:]|\s-\s")
_LAUNCH_FORMS = frozenset({"launch", "launches", "launching"})
_REF_VERBS = frozenset({"launched", "sent", "put", "placed", "lifted", "blasted", "took"})
_SUMMARY_SITE_CONTEXT = re.compile(r"\b(?:from|at|off)\s+(?:the\s+|its\s+|\w+'s\s+)?(?:[\w-]+\s+){0,2}$")
_ACRONYM_GATE = re.compile(r"[A-Z]{3}")
_NOT_A_NAME_END = re.compile(r"(?:ing|ed|\d(?:st|nd|rd|th))$")
_PROPER_NAME_BEFORE = re.compile(r"[A-Z][\w.-]*\s+$")


class Classifier:
    """Rule-based event classifier: build once (compiles every regex), call :meth:`classify` often."""

    def __init__(self, sites: Sequence[Site], rules: Mapping[str, Any]) -> None:
        self.sites = tuple(sites)
        self._site_by_name = {s.name: s for s in self.sites}
        self.vehicles = tuple(_vehicles_from_rules(rules))
        self._compile_sites()
        self._compile_rules(rules)

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
        self._sites_vocab = _Vocab([(re.escape(a), entries[a]) for a in ordered], boundary=True)
        self._acronym_site = {a: s for s in self.sites for a in s.acronyms}
        self._acronym_rx = (
            re.compile(r"\b(?:" + "|".join(re.escape(a) for a in sorted(self._acronym_site, key=len, reverse=True)) + r")\b")
            if self._acronym_site else None
        )

    def _compile_rules(self, r: Mapping[str, Any]) -> None:
        self._strong = _Vocab(_entries(r["launch_verbs"]))
        self._weak = _Vocab([*_entries(r["weak_launch_phrases"], False), *_entries(r["weak_launcher_phrases"], True)])
        self._launcher_noun = _Vocab(_entries(r["launcher_nouns"]))
        self._inflight_before = re.compile(r["inflight_before_after_launch"])
        self._inflight = _Vocab(_entries(r["inflight_failure_verbs"]))
        m = r["modal"]
        fill = m["fillers"]
        self._modal = re.compile(rf"\b(?P<m>{m['negation']}|{m['future']}|to)\s+(?:{fill}\s+){{0,3}}$")
        self._negation = re.compile(rf"^(?:{m['negation']})$")
        self._future = re.compile(rf"^(?:{m['future']})$")
        self._plan_to = re.compile(rf"\b(?:{m['plan_before_to']})\s+(?:{fill}\s+){{0,2}}$")
        self._business_to = re.compile(rf"\b(?:{m['business_before_to']})\s+(?:[\w-]+\s+){{0,2}}$")
        ref = r["reference"]
        self._ref_before = re.compile(ref["before"])
        self._ref_after = re.compile(ref["after"])
        self._weak_ref_before = re.compile(ref["weak_before"])
        self._bare_participle = re.compile(ref["bare_participle"])
        self._auxiliary = re.compile(ref["auxiliary"])
        ln = r["launch_noun"]
        self._noun_before = re.compile(ln["before"])
        self._noun_compound = re.compile(ln["compound"])
        self._noun_singular = re.compile(ln["singular"])
        self._plural_det = re.compile(ln["plural_determiner"])
        self._noun_after = re.compile(ln["after"])

        oc = r["object_classes"]
        classes = [(p, c) for c in ("nonspace", "military", "missile", "space", "space_object") for p in oc[c]]
        classes = [(p, "space" if c == "space_object" else c) for p, c in classes]
        self._classes = _Vocab([*classes, (oc["weak_space"], "weak")], boundary=True)
        self._space_noun = _Vocab(_entries(oc["space"]), boundary=True)
        self._missile_noun = _Vocab(_entries(oc["missile"]), boundary=True)
        self._weak_space = _Vocab(_entries(oc["weak_space"]), boundary=True)
        self._military_ctx = _Vocab(_entries(oc["military_context"]))
        sv = r["space_vocabulary"]
        self._agency = _Vocab(_entries(sv["agencies"]))
        self._space_general = _Vocab(_entries(sv["general"]))
        self._space_general_full = re.compile(sv["general"])

        self._confusers = _Vocab([e for name, ps in r["confusers"].items() for e in _entries(ps, name)])
        self._missile_cue = _Vocab(_entries(r["missile"]["cues"]))
        self._attack = _Vocab(_entries(r["missile"]["attack"]))
        self._outcomes = [(name, _Vocab(_entries(r["outcome"][name]))) for name in ("failure", "partial", "success")]
        crew = r["crew"]
        self._uncrewed = _Vocab(_entries(crew["uncrewed"]))
        self._crewed = _Vocab(_entries(crew["crewed"]))
        self._uncrewed_payload = _Vocab(_entries(crew["uncrewed_payload"]))
        self._states = _Vocab([(p, country) for country, p in r["launching_states"].items()])
        self._vehicles = _Vocab([(v.source, i) for i, v in enumerate(self.vehicles)], boundary=True)
        self._launchers = _Vocab([(v.source, i) for i, v in enumerate(self.vehicles) if v.role == "launcher"], boundary=True)

        # Gates: "could this headline be about launches, spaceflight or missiles at all?"
        #  - space words (anything that can make a space launch, a missile test or other_space),
        #  - launch verbs, which need a space word, an ambiguous space object ("probe") or a space
        #    tag/topic to matter; the word 'launch' itself always goes the full way (for kind_reason).
        self._space_objects = _Vocab(_entries(oc["space_object"]), boundary=True)
        self._gate_space = _gate([self._space_noun, self._missile_noun, self._weak_space, self._agency,
                                  self._space_general, self._vehicles, self._launcher_noun, self._sites_vocab])
        self._gate_verbs = _gate([self._strong, self._weak])
        self._gate_objects = _gate([self._space_objects])

        pl = r["payload"]
        nouns = pl["nouns"]
        tok = r"[A-Z0-9][\w'.+/-]*"
        name = rf"(?=[\w'.+/-]*[A-Z]){tok}(?:\s+{tok}){{0,3}}"
        self._payload_rx = [
            re.compile(rf"\b(?P<noun>(?i:{nouns})),?\s+(?:(?i:called|named|dubbed|the)\s+)?[\"']?(?P<name>{name})"),
            re.compile(rf"(?P<name>{name})\s+(?P<gap>(?:[a-z][\w-]*\s+){{0,3}}?)(?P<noun>(?i:{nouns}))\b"),
            re.compile(rf"\b(?i:launch(?:es|ed))\s+(?:(?i:its|the|a|an)\s+)?(?P<name>{name})"),
        ]
        self._payload_name = re.compile(name)
        self._payload_reject = re.compile("|".join(f"(?:{p})" for p in (*oc["space"], *oc["space_object"], sv["general"], sv["agencies"])))
        self._payload_stop = frozenset(w.lower() for w in pl["leading_stopwords"])

    # ---------------------------------------------------------------- public API
    def has_vocabulary(self, headline: str, context: str = "") -> bool:
        """Cheap gate: False when the headline cannot be about launches, spaceflight or missiles
        (``context``: the event's tags and topic, which can make 'lifts off' a launch)."""
        raw = normalize_text(headline)
        return bool(raw) and self._relevant(raw, _lower(raw), context)

    def _relevant(self, raw: str, low: str, context: str) -> bool:
        if _hits(self._gate_space, low) or "launch" in low:
            return True
        if self._acronym_rx is not None and _ACRONYM_GATE.search(raw) and self._acronym_rx.search(raw):
            return True
        if not _hits(self._gate_verbs, low):
            return False
        if _hits(self._gate_objects, low):
            return True
        return bool(context) and _hits(self._gate_space, _lower(normalize_text(context)))

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
        context = " | ".join((*tags, topic or "")) if (tags or topic) else ""
        if not self._relevant(raw, low, context):
            return _OTHER
        doc = _Text(raw, low, _Scan(low))
        spans = sentence_spans(doc.raw)
        extra = _Lazy(context)
        kind, reason, sent, cue = self._decide(doc, spans, extra)
        if kind != "space_launch":
            return LaunchFacts(kind, reason, None, None, None, None, None, None, None)
        sentence = doc.cut(*sent)
        cue_pos = cue.start - sent[0]
        in_sentence = self._vehicles_in(sentence)
        vehicles = in_sentence or self._vehicles_elsewhere(doc, spans, sent)
        if not vehicles and topic:
            vehicles = self._vehicles_in(_Text.of(normalize_text(topic)))
        summary_doc = _Text.of(normalize_text(summary)) if summary else None
        if not vehicles and summary_doc is not None:
            found = self._vehicles_in(summary_doc)
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
        first_confuser = self._first_confuser(doc.cut(*spans[0]))
        discarded: _Cue | None = None
        missile_cue: tuple[_Cue, _Evidence] | None = None
        for i, (s0, s1) in enumerate(spans):
            sentence = doc.cut(s0, s1)
            later = i > 0
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
                    where = {"object": "space object", "subject": "space subject", "sentence": "space noun in sentence",
                             "tags": "space tag/topic"}[ev.where]
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

    def _strong_cues(self, sentence: _Text, offset: int) -> list[_Cue]:
        cues = []
        for a, b, _label in self._strong.matches(sentence):
            status, detail = self._cue_status(sentence, a, b)
            cues.append(_Cue(a + offset, b + offset, sentence.word(a, b), status, detail))
        return cues

    def _cue_status(self, t: _Text, a: int, b: int) -> tuple[str, str]:
        """Whether a verb match reports a lift-off ('event') or why not."""
        low = t.low
        word = low[a:b]
        before = low[max(0, a - 60):a]
        after = low[b:b + 50]
        if word.startswith("launch") and a > 0 and low[a - 1] == "-":
            return "reference", "compound adjective ('-launched')"
        if word in _LAUNCH_FORMS:
            if self._noun_before.search(before) or self._noun_after.search(after):
                return "noun", "used as a noun"
            if t.raw[a] == "L" and _PROPER_NAME_BEFORE.search(t.raw, 0, a):
                return "noun", "part of a name ('Sea Launch', 'United Launch Alliance')"
            if word == "launch" and self._noun_singular.search(before):
                return "noun", "used as a noun"
            compound = self._noun_compound.search(before)
            if compound and (word != "launches" or self._plural_det.search(before[: compound.start() + 1])):
                return "noun", "used as a noun"
        modal = self._modal.search(before)
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
        if self._bare_participle.match(word) and not self._auxiliary.search(before):
            return "reference", "participle modifying a noun ('a satellite put into orbit, ...')"
        if word.split()[0] in _REF_VERBS or word.endswith("launched"):
            if (word.endswith("launched") and self._ref_before.search(before)) or self._ref_after.search(after):
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
        """First (or last) class word, vehicle or site in ``window``."""
        hits: list[tuple[int, str, str]] = []
        for a, b, cls in self._classes.matches(window):
            if cls == "weak":
                cls = "military" if military_ctx else "space"
            hits.append((a, cls, window.word(a, b)))
        for vocab in (self._vehicles, self._sites_vocab, self._agency):
            hits.extend((a, "space", window.word(a, b)) for a, b, _l in vocab.matches(window))
        if self._acronym_rx is not None and _ACRONYM_GATE.search(window.raw):
            hits.extend((m.start(), "space", m.group(0)) for m in self._acronym_rx.finditer(window.raw))
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
        if self._acronym_rx is not None and _ACRONYM_GATE.search(t.raw):
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
        if self._acronym_rx is not None and _ACRONYM_GATE.search(t.raw):
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

    def _resolve_site(self, doc: _Text, spans, sent, cue_pos: int, summary: _Text | None, tags: Sequence[str],
                      related: Sequence[str], vehicles, year: int) -> tuple[Site | None, str | None]:
        site = self._pick_site(self._site_mentions(doc.cut(*sent)), cue_pos)
        if site:
            return site, "text"
        rest = {s.name: s for a, b in spans if (a, b) != tuple(sent) for _p, s, _g in self._site_mentions(doc.cut(a, b))}
        if len(rest) == 1:
            return next(iter(rest.values())), "text"
        if summary is not None:
            in_context = {s.name: s for pos, s, _g in self._site_mentions(summary)
                          if _SUMMARY_SITE_CONTEXT.search(summary.low, max(0, pos - 40), pos)}
            if len(in_context) == 1:
                return next(iter(in_context.values())), "text"
        for group in (tags, related):
            if not group:
                continue
            joined = _Text.of(normalize_text(" | ".join(group)))
            named = {s.name: s for _p, s, _g in self._site_mentions(joined) if s.active(year)}
            if len(named) == 1:
                return next(iter(named.values())), "tags"
        for role in ("launcher", "spacecraft"):
            for v, _span in vehicles:
                name = v.site_in(year) if v.role == role else None
                if name and name in self._site_by_name:
                    return self._site_by_name[name], "vehicle"
        return None, None

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
        launcher_spans = [(a, b) for v, (a, b, _w) in vehicles if v.role == "launcher"]
        launcher_spans += [(a, b) for a, b, _l in self._sites_vocab.matches(sentence)]
        for rx in self._payload_rx:
            for m in rx.finditer(sentence.raw):
                a, b = m.start("name"), m.end("name")
                if any(s < b and a < e for s, e in launcher_spans):
                    continue
                noun = m.groupdict().get("noun") or ""
                if noun[:1].isupper() and m.start("noun") < a and not re.search(r"[,\"']", sentence.raw[m.end("noun"):a]):
                    continue  # "Mars Orbiter Mission": the noun belongs to a name
                name = self._clean_payload(m.group("name"))
                if name and noun[:1].isupper() and m.start("noun") > a and not m.groupdict().get("gap"):
                    name = f"{name} {noun}"  # "ExoMars Trace Gas Orbiter"
                if name:
                    return name
        for v, (_a, _b, text) in vehicles:
            if v.role == "spacecraft":
                return text
        return None

    def _clean_payload(self, name: str) -> str | None:
        words = name.split()
        while words and (words[0].lower().strip("'\"") in self._payload_stop or words[0].endswith("'s")):
            words.pop(0)
        while words and (words[-1].lower() in self._payload_stop or _NOT_A_NAME_END.search(words[-1])):
            words.pop()
        name = " ".join(words).strip(" ,.'\"")
        if len(name) < 2 or not self._payload_name.fullmatch(name) or self._payload_reject.fullmatch(name.lower()):
            return None
        return name


def _gate(vocabs: Sequence[_Vocab]) -> re.Pattern[str] | None:
    """One trie regex over the gate keys of ``vocabs`` (None: some fragment has no key, no gate)."""
    if not all(v.gateable for v in vocabs):
        return None
    exact = set().union(*(v.exact_keys for v in vocabs))
    prefixes = {k for v in vocabs for keys in v.prefix_keys.values() for k in keys}
    return re.compile(r"(?<![^\W_])" + _trie_pattern(prefixes, exact))


def _hits(gate: re.Pattern[str] | None, low: str) -> bool:
    return gate is None or gate.search(low) is not None


class _Lazy:
    """Tags + topic as one scanned text, built only if some rule needs it."""

    __slots__ = ("_raw", "_text")

    def __init__(self, raw: str) -> None:
        self._raw = raw
        self._text: _Text | None = None

    @property
    def text(self) -> _Text | None:
        if self._text is None and self._raw.strip(" |"):
            self._text = _Text.of(normalize_text(self._raw))
        return self._text


_OTHER = LaunchFacts("other", "no space or missile vocabulary", None, None, None, None, None, None, None)


def _vehicles_from_rules(rules: Mapping[str, Any]) -> list[Vehicle]:
    out = []
    for v in rules.get("vehicles") or ():
        sites = tuple((s["site"], int(s["from"]), int(s["to"])) for s in v.get("sites") or ())
        out.append(Vehicle(str(v["name"]), str(v.get("role", "launcher")), v.get("country"), v.get("crewed"),
                           _join(v["aliases"]), sites))
    return out
