"""Partition units of the warehouse: the month of a row's day folder, ``undated`` without one."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc


def month_unit(day: dt.date | None) -> str:
    """Partition unit of a day: ``YYYY-MM``; ``undated`` for files with no day (rejected seeds)."""
    return f"{day.year:04d}-{day.month:02d}" if day else "undated"


def month_units(days: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``month_unit`` of each of ``days`` (date32), column-wise."""
    return pc.fill_null(pc.strftime(pc.cast(days, pa.timestamp("s")), format="%Y-%m"), "undated")
