"""normalize_groups on the real sample: every table's columns stay aligned row by row, and the rows say
what the parsed files say (roles, tags with their origin, relations and sources per event)."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from config.reference import cached_classifier
from config.settings import get_settings
from config.vocab import load_qualifiers
from pipelines.inputs import discover, input_files, read_and_parse
from transforms.archive_paths import date_from_path
from transforms.dedupe import group_day
from transforms.normalize import TABLE_COLUMNS, normalize_groups

SAMPLE = Path(__file__).resolve().parents[1] / "sample_corpus"


def _sample_tables():
    s = get_settings()
    parsed = read_and_parse(input_files(discover([SAMPLE]).files), s.max_file_bytes, load_qualifiers(s.tag_qualifiers))
    events, entries = defaultdict(list), defaultdict(list)
    for e in parsed.events:
        events[date_from_path(e.path) or e.date].append(e)
    for d in parsed.day_lists:
        entries[date_from_path(d.path) or d.date].extend(d.entries)
    out, groups = None, []
    for day in sorted(events):
        g = group_day(events[day], entries.get(day, []))
        groups.extend(g)
        out = normalize_groups(day, g, parsed.meta, cached_classifier(s.gazetteer, s.launch_rules), out)
    return out, groups, parsed


def test_columns_aligned_and_rows_match_the_parsed_groups():
    tables, groups, parsed = _sample_tables()
    for name, cols in TABLE_COLUMNS.items():
        assert set(tables[name]) == set(cols)
        lengths = {c: len(v) for c, v in tables[name].items()}
        assert len(set(lengths.values())) == 1, (name, lengths)
    ev, files = tables["events"], tables["event_files"]
    assert len(ev["event_id"]) == len(groups) and len(set(ev["event_id"])) == len(groups)
    assert len(files["path"]) == sum(len(g.files) for g in groups) == len(parsed.events)
    assert Counter(files["role"])["canonical"] == len(groups)
    assert any(len(g.files) > 1 for g in groups)  # the sample has duplicates: both roles are exercised
    # per event: as many source and relation rows as its canonical file has, in file order
    by_id = dict(zip(ev["event_id"], groups))
    rel = tables["relations"]
    got = defaultdict(list)
    for row in zip(rel["event_id"], rel["position"], rel["title"], rel["target_path"], rel["context"]):
        got[row[0]].append(row[1:])
    assert got == {eid: [(r.position, r.title, r.target_path, r.context) for r in g.canonical.related]
                   for eid, g in by_id.items() if g.canonical.related}
    src = tables["sources"]
    assert Counter(src["event_id"]) == Counter({eid: len(g.canonical.sources) for eid, g in by_id.items() if g.canonical.sources})
    # tags: unique per (event, origin); related tags come from the event's own related contexts
    tags = tables["tags"]
    keys = list(zip(tags["event_id"], tags["tag"], tags["origin"]))
    assert len(keys) == len(set(keys))
    for eid, tag, origin, path in zip(tags["event_id"], tags["tag"], tags["origin"], tags["origin_path"]):
        if origin == "related":
            assert path == by_id[eid].canonical.path
            assert any(tag in r.context for r in by_id[eid].canonical.related)
        else:
            assert origin == "day_list"
    assert Counter(tags["origin"]).keys() == {"day_list", "related"}
