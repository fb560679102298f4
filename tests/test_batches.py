"""How a run's work is cut into batches (``pipelines.flow._batches``), on the bundled sample corpus."""
from __future__ import annotations

from collections import Counter

from conftest import SAMPLE
from pipelines import flow
from pipelines.inputs import ParsedBatch, discover


def _plan() -> flow.Plan:
    return flow.plan_task.fn(discover([SAMPLE]), None)


def _files(batch: flow.BatchSpec) -> int:
    return sum(t.num_rows for t in batch[1])


def _check_cover(plan: flow.Plan, batches: list[flow.BatchSpec]) -> None:
    units = Counter(u for b in batches for u in b[0])
    assert max(units.values()) == 1  # a month partition belongs to exactly one batch
    assert "undated" in units
    dated = plan.discovery.files.filter(plan.discovery.files["day"].is_valid())
    assert sum(_files(b) for b in batches) == dated.num_rows  # every dated file is read once


def test_small_plans_spread_over_the_workers():
    plan = _plan()
    one = flow._batches(plan, ParsedBatch(), size=10**6)
    assert len(one) == 1  # everything fits in one batch of the configured size
    spread = flow._batches(plan, ParsedBatch(), size=10**6, min_batches=4, spread_min_files=0)
    assert len(spread) >= 4
    total = sum(_files(b) for b in spread)
    largest_month = max(sum(t.num_rows for t in parts) for parts in flow._by_unit(plan.discovery.files).values())
    # a batch holds whole months: at most a quarter of the files, or one month bigger than that
    assert max(_files(b) for b in spread) <= max(-(-total // 4), largest_month)
    _check_cover(plan, one)
    _check_cover(plan, spread)


def test_runs_below_the_pool_threshold_are_not_cut_up():
    plan = _plan()
    total = sum(_files(b) for b in flow._batches(plan, ParsedBatch(), size=10**6))
    kept = flow._batches(plan, ParsedBatch(), size=10**6, min_batches=4, spread_min_files=total + 1)
    assert len(kept) == 1


def test_gc_paused_restores_the_collector_and_collects_cycles_of_the_block():
    import gc
    import weakref

    from pipelines.batch_build import gc_paused

    class Node:
        pass

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested (or a concurrent batch on another thread): one pause
            assert not gc.isenabled()
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        ref = weakref.ref(a)
        del a, b
        assert ref() is not None
    assert gc.isenabled()
    assert ref() is None  # the young collection at the end found it
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()


def test_a_batch_runs_without_collector_pauses(tmp_path):
    import gc

    from config.settings import Settings
    from config.vocab import load_qualifiers
    from pipelines.batch_build import BuildContext, build_units

    s = Settings()
    plan = _plan()
    [spec] = flow._batches(plan, ParsedBatch(), size=10**6)
    ctx = BuildContext(None, tmp_path, set(), set(), s.max_file_bytes, load_qualifiers(s.tag_qualifiers),
                       s.gazetteer, s.launch_rules, s.parquet_compression)
    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        result = build_units(flow._materialize(plan, spec), ctx)
    finally:
        gc.callbacks.remove(seen)
    assert result["files"] == _files(spec) and result["written"]["events"] > 0
    assert result["cpu_seconds"] > 0  # reported next to the wall-clock seconds
    assert collections == [0]  # only the young collection after the batch


def test_rows_are_cut_into_month_slices_in_day_order_without_copies():
    import datetime as dt

    import pyarrow as pa

    from pipelines.batch_build import unit_slices
    from warehouse.partitions import by_day

    days = [dt.date(2005, 2, 1), dt.date(2005, 1, 3), None, dt.date(2005, 1, 3), dt.date(2005, 1, 1)]
    t = pa.table({"day": pa.array(days, pa.date32()), "row": list(range(len(days)))})
    ordered = by_day(t)
    # stable: the two rows of 2005-01-03 keep their order; undated rows go last
    assert ordered["row"].to_pylist() == [4, 1, 3, 0, 2]
    assert by_day(ordered) is ordered  # already in order: no sort, no copy
    parts = unit_slices(ordered)
    assert {u: p["row"].to_pylist() for u, p in parts.items()} == {"2005-01": [4, 1, 3], "2005-02": [0], "undated": [2]}
    jan = parts["2005-01"]["row"].chunks[0]
    assert jan.buffers()[1].address == ordered["row"].chunks[0].buffers()[1].address  # a slice, not a copy
    assert unit_slices(by_day(t.slice(0, 0))) == {}
