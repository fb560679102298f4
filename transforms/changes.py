"""Partition units of the warehouse: the month of a row's day folder, ``undated`` without one."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc


def month_unit(day: dt.date | None) -> str:
    """Partition unit of a day: ``YYYY-MM``; ``undated`` for files with no day (rejected seeds)."""
    return f"{day.year:04d}-{day.month:02d}" if day else "undated"


def month_units(days: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``month_unit`` of each of ``days`` (date32), column-wise.

    Labels are formatted once per distinct month, not per row (``strftime`` on 10^6 dates takes
    ~0.7 s; year and month as integers, ~20 ms).
    """
    if isinstance(days, pa.ChunkedArray):
        days = days.combine_chunks()
    months = pc.add(pc.multiply(pc.year(days), 100), pc.month(days))  # YYYYMM, null when undated
    distinct = pc.unique(months)
    labels = pa.array([f"{m // 100:04d}-{m % 100:02d}" if m is not None else "undated" for m in distinct.to_pylist()],
                      pa.string())
    return labels.take(pc.index_in(months, value_set=distinct))
