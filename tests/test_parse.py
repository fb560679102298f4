"""Parser tests on real snippets of every variation listed in the corpus README."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from config.settings import get_settings
from config.vocab import load_qualifiers
from transforms.day_list import parse_day_list
from transforms.event_file import ParseError, parse_event_file
from transforms.tags import split_context
from transforms.text import clean, skeleton
from transforms.topics import split_topic

SAMPLE = Path(__file__).resolve().parents[1] / "sample_corpus"
QUAL = load_qualifiers(get_settings().tag_qualifiers)
EXOMARS = "news/2016/03/14/the-joint-european-space-agency-and-russian-federal-space-agency-exomars-trace-gas-orbiter-blasts-off-from-the-baikonur-cosmodrome-in-kazakh.md"


def read(rel: str) -> str:
    return (SAMPLE / rel).read_text(encoding="utf-8")


def test_formats_generation_with_sources_cover_image_and_related():
    e = parse_event_file(read(EXOMARS), EXOMARS, QUAL)
    assert e.generation == "formats"
    assert e.date == dt.date(2016, 3, 14)
    assert e.headline.startswith("The joint European Space Agency") and not e.headline.endswith(" ")
    assert e.summary == "Europe and Russia have launched a joint mission to the Red Planet."
    assert [(s.name, s.is_image, s.domain) for s in e.sources] == [("BBC", False, "bbc.com"), ("Cover Image", True, "ichef-1.bbci.co.uk")]
    assert len(e.related) == 5
    assert e.related[0].context == ["Baikonur Cosmodrome", "European Space Agency", "Russian Federal Space Agency"]
    assert e.related[0].target_key.startswith("2015/12/15/the-soyuz-tma-19m")
    assert e.related[0].target_date == dt.date(2015, 12, 15)


def test_seed_without_formats_or_dated_folder_reads_date_from_text():
    e = parse_event_file(read("seeds/000_b02bc1e1bd4a287c.txt"), "seeds/000_b02bc1e1bd4a287c.txt", QUAL)
    assert e.generation == "seed"
    assert e.date == dt.date(2016, 3, 14)
    # the seed's key is built from its date and headline, and matches the dated copy's slug
    assert e.key == "2016/03/14/" + EXOMARS.rsplit("/", 1)[1][:-3]
    assert [s.is_image for s in e.sources] == [False, True]  # "### Source:" (singular) read too


def test_minimal_file_date_and_headline_only():
    text = "### [2001-06-1](/news/2001/06/1/index.md)\n\n# The popular Bratz, rival to the Barbie doll, debuts.\n"
    e = parse_event_file(text, "news/2001/06/1/the-popular-bratz-rival-to-the-barbie-doll-debuts.md")
    assert e.date == dt.date(2001, 6, 1) and e.sources == [] and e.related == [] and e.summary is None
    assert e.headline == "The popular Bratz, rival to the Barbie doll, debuts."


def test_headline_with_one_to_three_spaces_after_hash_and_lost_letters():
    e = parse_event_file(read("news/1999/02/23/an-avalanche-destroys-the-austrian-village-of-galtur-killing-31.md"),
                         "news/1999/02/23/an-avalanche-destroys-the-austrian-village-of-galtur-killing-31.md")
    assert e.topic == "Avalanche"
    assert e.headline == "An avalanche destroys the Austrian village of Galtr, killing 31."


def test_changes_section_marks_current_version():
    rel = "news/2018/01/10/china-says-no-major-oil-spill-has-been-detected-after-sanchi-disaster.md"
    e = parse_event_file(read(rel), rel)
    assert [c.target_key for c in e.changes] == ["2018/01/10/china-says-no-major-oil-spill-has-been-detected", "2018/01/10/china-says-no-major-oil-spill-has-been-detected-after-sanchi-disaster"]
    assert e.is_current_version
    assert e.changes[0].note == "2018-01-14 12:30:04 (First version)"
    # numbering that repeats ("2." twice) keeps every item, in order
    assert [s.position for s in e.sources] == [1, 2, 3] and e.sources[2].is_image


@pytest.mark.parametrize("raw,expected", [
    ("Ethiopia&#39;s capital", "Ethiopia's capital"),
    ("TEHRAN:&nbsp;Iran said this year&acute;s hajj", "TEHRAN: Iran said this year\u00b4s hajj"),
    ("the international community&hellip;", "the international community\u2026"),
    ("Colombia&#8217;s military", "Colombia\u2019s military"),
    ("L.A.&apos;s Exposition Park", "L.A.'s Exposition Park"),
    ("R&amp;B trio", "R&B trio"),
    ("a caring mother&rsquo; ", "a caring mother\u2019"),
])
def test_html_entities_are_decoded(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("travels 435|mi|km to the east", "travels 435 mi to the east"),
    ("Soyuz TMA-6 lifts off [http://news.yahoo.com/news?tmpl=story&u=/nm/20050415/wl_nm/space_russia_launch_dc (Yahoo! News)] at dawn", "Soyuz TMA-6 lifts off at dawn"),
    ('jokes that "[i]f you had raped three"', 'jokes that "if you had raped three"'),
    ("'''Died:''' a poet", "Died: a poet"),
    ("a source{{dead link|date=May 2017}} says", "a source says"),
    ("Sinking of the MV ''Sewol''", "Sinking of the MV Sewol"),
    ("a tab\tinside a title", "a tab inside a title"),
])
def test_wiki_markup_is_stripped_from_display_text(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize("headline,topic_line,topic,rest", [
    ("2011 Bahraini protests:Security is increased as a large march takes place towards the royal court.", None,
     "2011 Bahraini protests", "Security is increased as a large march takes place towards the royal court."),
    ("2011 Bahraini protests: Medical staff who treated anti-government demonstrators are charged.", None,
     "2011 Bahraini protests", "Medical staff who treated anti-government demonstrators are charged."),
    ("Israeli-Palestinian conflict:. Israel cancels proposed plans to build new settlements.", None,
     "Israeli-Palestinian conflict", "Israel cancels proposed plans to build new settlements."),
    ("War in Afghanistan. 10 January 2017 Afghanistan bombings. Two bombs explode near the National Assembly in Kabul, killing at least 38 people.", None,
     "War in Afghanistan", "Two bombs explode near the National Assembly in Kabul, killing at least 38 people."),
    ("Addis Ababa-Djibouti Railway is officially completed, creating a rail link.", "Addis Ababa-Djibouti Railway",
     "Addis Ababa-Djibouti Railway", "Addis Ababa-Djibouti Railway is officially completed, creating a rail link."),
    ("Addis Ababa-Djibouti Railway. Addis Ababa-Djibouti Railway is officially completed.", "Addis Ababa-Djibouti Railway",
     "Addis Ababa-Djibouti Railway", "Addis Ababa-Djibouti Railway is officially completed."),
    # sentences, abbreviations and clock times are not topics
    ("Two bombs explode. Dozens are dead.", None, None, "Two bombs explode. Dozens are dead."),
    ("U.S. diplomats push for peace talks in Burundi.", None, None, "U.S. diplomats push for peace talks in Burundi."),
    ("Soyuz TMA-9 has launched at 04:08 UTC from Baikonur in Kazakhstan.", None, None, "Soyuz TMA-9 has launched at 04:08 UTC from Baikonur in Kazakhstan."),
])
def test_topic_prefix_split(headline, topic_line, topic, rest):
    assert split_topic(headline, topic_line) == (topic, rest)


@pytest.mark.parametrize("raw,tags", [
    ("Bali, Denpasar, Bali, East Timor, Indonesia", ["Bali", "Denpasar, Bali", "East Timor", "Indonesia"]),
    ("Cape Coral, Florida, 2004, Saffir-Simpson hurricane scale", ["Cape Coral, Florida", "2004", "Saffir-Simpson hurricane scale"]),
    ("Chilean general election, 2017, Chile", ["Chilean general election, 2017", "Chile"]),
    (" NRO", ["NRO"]),
    ("Kabul, War in Afghanistan", ["Kabul", "War in Afghanistan"]),
])
def test_context_tags_keep_commas_inside_tags(raw, tags):
    assert split_context(raw, QUAL) == tags


def test_skeleton_matches_lost_and_transliterated_letters():
    assert skeleton("Ivorian soldiers in Bouak attack") == skeleton("Ivorian soldiers in Bouake attack")
    assert skeleton("Rabbi Ya'akov Litman") == skeleton("Rabbi Ya-akov Litman")


def test_day_list_context_summary_and_topic():
    d = parse_day_list(read("news/2017/01/10/index.md"), "news/2017/01/10/index.md", QUAL)
    assert d.date == dt.date(2017, 1, 10)
    first = d.entries[0]
    assert first.topic == "War in Afghanistan"
    assert first.context == ["War in Afghanistan", "10 January 2017 Afghanistan bombings", "Kabul", "National Assembly"]
    lucas = d.entries[1]
    assert lucas.context == [] and lucas.summary.startswith("George Lucas has chosen L.A.'s Exposition Park")
    assert all(e.target_key.startswith("2017/01/10/") for e in d.entries)


def test_day_lists_may_disagree_and_may_be_empty():
    a = parse_day_list(read("news/1999/02/23/index.md"), "news/1999/02/23/index.md", QUAL)
    b = parse_day_list(read("news/1999/02/23/README.md"), "news/1999/02/23/README.md", QUAL)
    assert a.entries[1].context != b.entries[1].context  # 'Turkish' vs 'Turkey'
    empty = parse_day_list(read("news/2002/10/12/README.md"), "news/2002/10/12/README.md", QUAL)
    assert empty.entries == []


@pytest.mark.parametrize("text,reason", [
    ("# Sample corpus: real files\n\n### [2016-03-14](/news/2016/03/14/index.md)\n# x\n", "no_date"),
    ("### [2016-02-30](/news/2016/02/30/index.md)\n# Headline\n", "bad_date"),
    ("### [2016-03-14](/news/2016/03/14/index.md)\n\n### Sources:\n", "no_headline"),
])
def test_not_an_event_raises_actionable_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        parse_event_file(text, "notes/x.md")
    assert info.value.reason == reason and info.value.detail


def test_missing_date_line_falls_back_to_folder_date():
    e = parse_event_file("# Mexico holds its legislative election.\n", "news/2009/07/5/mexico-holds-its-legislative-election.md")
    assert e.date == dt.date(2009, 7, 5) and e.date_basis == "path"


def test_every_sample_file_parses_or_is_rejected_for_a_reason():
    from transforms.archive_paths import is_day_list

    parsed = rejected = 0
    for p in sorted(SAMPLE.rglob("*")):
        if p.suffix not in (".md", ".txt"):
            continue
        rel = p.relative_to(SAMPLE).as_posix()
        try:
            (parse_day_list if is_day_list(rel) else parse_event_file)(p.read_text(encoding="utf-8"), rel, QUAL)
            parsed += 1
        except ParseError:
            rejected += 1
            assert rel == "README.md"  # the corpus notes at the root are the only non-event
    assert parsed == 168 and rejected == 1


# The parser's string-operation fast paths must match the single regexes they replace, exactly.
_ITEM_RE = re.compile(r"^[ \t]*\d+\.[ \t]*\[(.*)\]\(([^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)[ \t]*(.*?)[ \t]*$", re.M)
_ENTRY_RE = re.compile(r"^###\s*\[(?P<title>.*)\]\((?P<target>[^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)\s*$")
_SECTION_RE = re.compile(r"^###[ \t]*([A-Za-z ]+?)[ \t]*:?[ \t]*$", re.M)
TRICKY_LINES = [
    "1. [A title](/news/2016/03/14/x.md) _Context: Kabul, War in Afghanistan_",
    " 12.\t[Brackets [inside] the title](/news/2016/3/4/y.md)\t_2018-01-14 (First version)_ ",
    "3.[Greedy](a.md) title](b.md) rest",
    "4. [Parens](http://x.org/a_(b)_c) after",
    "5. [Blank in target](http://x.org/a b) x](c.md)",
    "6. [Unicode blank](http://x.org/a\u2003b)",
    "7. [No close](http://x.org/a",
    "8. [Tail](x.md)\u00a0",
    "9. [x](y)_Context:_",
    "10. [x](y) _",
    "11. [x](y) note without underscores",
    "²2. [not a decimal number](x.md)",
    ". [no number](x.md)",
    "1. []()",
]


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_item_and_entry_lines_parse_as_the_full_regexes(line):
    from transforms.day_list import _entry
    from transforms.event_file import _item

    m = _ITEM_RE.match(line)
    assert _item(line) == (m.groups() if m else None)
    s = "### [" + line.split("[", 1)[-1].strip()
    m = _ENTRY_RE.match(s)
    assert _entry(s) == ((m.group("title"), m.group("target")) if m else None)


def test_sections_split_as_the_header_regex():
    from transforms.event_file import _sections

    text = ("###Sources\n1. [a](b)\n### [2016-03-14](x)\n# h\n###   \n### Related :\t\n1. [c](d)\n"
            "#### Deeper\n ### Indented\n### Changes:\r\n### Changes")
    head, *rest = _SECTION_RE.split(text)
    assert _sections(text) == (head, [(name.strip().lower(), body) for name, body in zip(rest[::2], rest[1::2])])


def test_memoized_links_are_fresh_objects_positioned_per_file():
    body = "1. [Hub](/news/2016/03/14/hub.md) _Context: Kabul, War in Afghanistan_\n"
    a = parse_event_file("### [2016-03-15](x)\n# One\n### Related:\n" + body, "news/2016/03/15/one.md", QUAL)
    b = parse_event_file("### [2016-03-16](x)\n# Two\n### Related:\n2. [Other](/news/2016/03/1/o.md)\n7" + body[1:],
                         "news/2016/03/16/two.md", QUAL)
    assert [r.position for r in b.related] == [1, 2] and b.related[1].title == "Hub"
    assert a.related[0].context == b.related[1].context == ["Kabul", "War in Afghanistan"]
    a.related[0].context.append("mutated")
    assert b.related[1].context == ["Kabul", "War in Afghanistan"]
    c = parse_event_file("### [2016-03-17](x)\n# Three\n### Related:\n" + body, "news/2016/03/17/three.md", QUAL)
    assert c.related[0].context == ["Kabul", "War in Afghanistan"]


def test_context_memo_follows_the_qualifier_set():
    raw = "Denpasar, Bali, Indonesia"
    assert split_context(raw, frozenset({"bali"})) == ["Denpasar, Bali", "Indonesia"]
    assert split_context(raw, frozenset()) == ["Denpasar", "Bali", "Indonesia"]
    assert split_context(raw, {"bali"}) == ["Denpasar, Bali", "Indonesia"]  # a plain set works too
    tags = split_context(raw, frozenset({"bali"}))
    tags.append("mutated")
    assert split_context(raw, frozenset({"bali"})) == ["Denpasar, Bali", "Indonesia"]


@pytest.mark.parametrize("url", [
    "https://www.BBC.co.uk/news", "http://x", "https://", "https:///a", "https://user@host/", "https://[::1]:80/",
    "https://host:8080/a", "https://Ab%Cd/", "https://ex\tample.com/", "https://\u00e9.com/x", "https://\u2100.com/", "ftp://host/",
])
def test_source_domain_as_urlsplit(url):
    from urllib.parse import urlsplit

    from transforms.event_file import _domain

    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    assert _domain(url) == (host[4:] if host and host.startswith("www.") else host or None)


SKELETON_CASES = ["Ivorian soldiers in Bouaké attack", "ÀÉÎÕÜ Çà ß ﬁ ĳ Æ Œ ² ½ ∑ 中文 Ⅻ", "Tab\there\xa0&amp; NBSP", "",
                  "U.S. -- 2016: Yay!", "AEIOUY aeiouy 0123456789 bcd XYZ", "\u2003Ａｂｃ１２３"]


@pytest.mark.parametrize("text", SKELETON_CASES)
def test_skeleton_and_ascii_fold_as_their_definitions(text):
    import unicodedata

    from transforms.text import ascii_fold

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    assert ascii_fold(text) == folded
    assert skeleton(text) == re.sub(r"[^a-z0-9]+", "", folded).translate(str.maketrans("", "", "aeiouy"))


@pytest.mark.parametrize("headline", [
    "Syria: Aleppo. Rebels: hold the city", "War in Afghanistan. Kabul. NATO troops arrive", "No prefix here",
    "At 04:08 a quake hits", "U.S. Senate votes. Bill passes", "a.", "x" * 95 + ". Late period",
    "Topic:\nHeadline", "A. b. C: d: E",
])
def test_topic_suffixes_and_split_topic_as_the_plain_regexes(headline):
    from transforms.topics import _COLON, _PERIOD, topic_suffixes

    out, rest = [headline], headline
    for _ in range(3):
        m = _COLON.match(rest) or _PERIOD.match(rest)
        if not m or len(m.group("topic").split()) > 12:
            break
        rest = rest[m.end():].lstrip(" .:")
        if not rest:
            break
        out.append(rest)
    assert topic_suffixes(headline) == out


def test_memoized_link_items_give_fresh_links_per_file():
    body = "\n1. [Hub](/news/2016/03/14/hub.md) _Context: Kabul, War in Afghanistan_\n2. [Other](/news/2016/03/1/o.md)\n"
    a = parse_event_file("### [2016-03-15](x)\n# One\n### Related:" + body, "news/2016/03/15/one.md", QUAL)
    b = parse_event_file("### [2016-03-16](x)\n# Two\n### Related:" + body + "### Related:" + body,
                         "news/2016/03/16/two.md", QUAL)
    assert [r.position for r in a.related] == [1, 2] and [r.position for r in b.related] == [1, 2, 3, 4]
    assert a.related[0] == b.related[0] and a.related[0] is not b.related[0] and b.related[2].title == "Hub"
    b.related[0].context.append("mutated")
    assert a.related[0].context == b.related[2].context == ["Kabul", "War in Afghanistan"]


def test_dedupe_full_headline_is_the_cleaned_raw_headline():
    from transforms.archive_paths import is_day_list
    from transforms.dedupe import _full_headline

    for p in sorted(SAMPLE.rglob("*.md")):
        rel = p.relative_to(SAMPLE).as_posix()
        if rel != "README.md" and not is_day_list(rel):
            e = parse_event_file(p.read_text(encoding="utf-8"), rel, QUAL)
            assert _full_headline(e) == (clean(e.headline_raw) or e.headline)
