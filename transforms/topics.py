"""Split the topic prefix the archive glues onto headlines (``Topic. Headline``, ``Topic:Headline``)."""
from __future__ import annotations

import re

# A separator after a candidate topic: ':' / ':.' / ': ' or '. ' followed by the headline's first character.
_COLON = re.compile(r"^(?P<topic>[^:]{2,90}?)\s*:\.?\s*(?=\S)")
_PERIOD = re.compile(r"^(?P<topic>.{2,90}?)\.\s+(?=[A-Z0-9\"'‘“])")
_ABBREV = re.compile(r"(?:^|[\s(])(?:[A-Z]|[A-Z][a-z]{0,2}|U\.S|U\.K|U\.N|Jr|Sr|St|Mt|Dr|Mr|Mrs|Ms|No|vs|Gen|Lt|Col|Sgt|Gov|Sen|Rep|Inc|Ltd|Co|Corp)$")
_SMALL = frozenset("a an and at by de del der des du for from in la le of on or the to van von vs".split())
MAX_LEVELS = 3
MAX_TOPIC_WORDS = 7


# The lazy prefixes try up to 90 lengths each: the helpers skip a regex when its separator is not there.
def _match_colon(text: str) -> re.Match | None:
    """``_COLON.match(text)``; None at once when ``text`` has no ':'."""
    return _COLON.match(text) if ":" in text else None


def _match_period(text: str) -> re.Match | None:
    """``_PERIOD.match(text)``; None at once when no '.' could end a 2..90-character topic."""
    return _PERIOD.match(text) if text.find(".", 2, 91) >= 0 else None


def _looks_like_topic(candidate: str) -> bool:
    """A topic is a short, title-like phrase (an article name), not a sentence."""
    words = candidate.split()
    if not words or len(words) > MAX_TOPIC_WORDS:
        return False
    if _ABBREV.search(candidate):
        return False
    content = [w for w in words if w.lower() not in _SMALL]
    if not content:
        return False
    titled = sum(1 for w in content if w[0].isupper() or w[0].isdigit() or w[0] in "(\"'")
    return titled * 2 >= len(content)


def _strip_known(headline: str, topic: str) -> str | None:
    if headline.lower().startswith(topic.lower()):
        rest = headline[len(topic):].lstrip()
        if rest[:1] in (".", ":"):
            return rest[1:].lstrip(" .:") or None
    return None


def split_topic(headline: str, topic_line: str | None) -> tuple[str | None, str]:
    """Return ``(topic, headline_without_topic)``.

    ``topic_line`` is the file's ``##### Topic`` line when it has one; it wins, and a copy of it at the
    start of the headline is removed. Otherwise up to three prefixes separated by ``:`` (never a time
    such as ``04:08``) or ``. `` are split off while they look like article titles; the first one is the
    topic.
    """
    topics: list[str] = []
    rest = headline
    if topic_line:
        topics.append(topic_line)
        stripped = _strip_known(rest, topic_line)
        if stripped:
            rest = stripped
    for _ in range(MAX_LEVELS):
        m = _match_colon(rest)
        if m and not (m.group("topic")[-1:].isdigit() and rest[m.end():][:1].isdigit()) and len(m.group("topic").split()) <= 10:
            cand = m.group("topic").strip()
        else:
            m = _match_period(rest)
            cand = m.group("topic").strip() if m and _looks_like_topic(m.group("topic")) else None
        if not m or not cand or m.end() >= len(rest):
            break
        topics.append(cand)
        rest = rest[m.end():].lstrip(" .:")
    return (topics[0] if topics else None), (rest or headline)


def topic_suffixes(headline: str) -> list[str]:
    """Every way of reading ``headline`` with 0..3 leading prefixes removed (for duplicate matching)."""
    out = [headline]
    rest = headline
    for _ in range(MAX_LEVELS):
        m = _match_colon(rest) or _match_period(rest)
        if not m or len(m.group("topic").split()) > 12:
            break
        rest = rest[m.end():].lstrip(" .:")
        if not rest:
            break
        out.append(rest)
    return out
