"""Partition units: the column-wise month_units agrees with month_unit row by row."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa

from conftest import SAMPLE
from transforms.archive_paths import date_from_path
from transforms.changes import month_unit, month_units


def test_month_units_match_month_unit_on_the_sample_days_and_undated_files():
    days = [date_from_path(p.relative_to(SAMPLE).as_posix()) for p in sorted(SAMPLE.rglob("*.md"))]
    days += [dt.date(1999, 1, 1), dt.date(2018, 12, 31), dt.date(987, 3, 4), None]
    assert None in days and len({d for d in days if d}) > 10
    column = pa.chunked_array([pa.array(days[:50], pa.date32()), pa.array(days[50:], pa.date32())])
    assert month_units(column).to_pylist() == [month_unit(d) for d in days]
    assert month_units(pa.array([], pa.date32())).to_pylist() == []
