"""The runs dataset: its Arrow columns, how they grow when new figures appear, and its order.

A row holds ``point``, ``replication``, ``seed``, one column per varied path, then the run's
figures (see :func:`~sim.experiments.rows.flatten_summary`), ``wall_s`` last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.experiments.plan import SweepPlan
from sim.experiments.rows import _SCALARS

KEY = ("point", "replication")
"""The columns that identify a run: one row per (point, replication)."""

_ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "json": pa.string(),
}
_NULL_WHEN_ABSENT = ("n_", "entered_", "rate_", "expected_", "collision_")


def run_schema(plan: SweepPlan) -> pa.Schema:
    """The columns every sweep of this plan has: keys, varied parameters, then metrics.

    Figures found in the runs beyond these (see :func:`evolve_schema`) join before
    ``wall_s``, sorted by name.
    """
    from sim.protocol.registry import event_kinds

    fields = [("point", pa.int64()), ("replication", pa.int64()), ("seed", pa.int64())]
    fields += [(p, _ARROW[kind]) for p, kind in plan.params.items()]
    fields += [("flights", pa.int64()), ("missiles", pa.int64()), ("flight_hours", pa.float64())]
    for prefix, typ in (("n_", pa.int64()), ("entered_", pa.int64()), ("rate_", pa.float64())):
        fields += [(prefix + c, typ) for c in plan.categories]
    fields += [("comms_" + k, pa.int64()) for k in event_kinds()]
    fields.append(("wall_s", pa.float64()))
    return pa.schema(fields)


def evolve_schema(
    schema: pa.Schema, base: pa.Schema, rows: Sequence[Mapping[str, Any]]
) -> pa.Schema:
    """``schema`` grown to hold ``rows``: new figures added, integer columns widened to float
    when a fractional value arrives. The result depends only on the set of values seen, so
    an interrupted sweep ends with the same columns as an uninterrupted one.
    """
    types = {f.name: f.type for f in schema}
    for row in rows:
        for name, value in row.items():
            types[name] = _widen(types.get(name), value)
    extra = sorted(n for n in types if n not in base.names)
    names = [n for n in base.names if n != "wall_s"] + extra + ["wall_s"]
    return pa.schema([(n, types[n]) for n in names])


def _widen(current: pa.DataType | None, value: Any) -> pa.DataType:
    """The narrowest of int64 / float64 / string that holds ``current`` and ``value``."""
    if value is None:
        return current or pa.float64()
    if isinstance(value, str) or current == pa.string():
        return pa.string()
    if isinstance(value, float) or current == pa.float64():
        return pa.float64()
    return current or pa.int64()


def to_table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows conformed to the schema: an absent figure is 0, an absent category null."""
    cols = {f.name: [r.get(f.name, _absent(f.name)) for r in rows] for f in schema}
    return pa.Table.from_pydict(cols, schema=schema)


def _absent(name: str) -> int | None:
    return None if name.startswith(_NULL_WHEN_ABSENT) or name in _SCALARS else 0


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A saved table with the columns of ``schema``: missing ones filled, types widened."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table[f.name].cast(f.type))
        else:
            cols.append(pa.array([_absent(f.name)] * table.num_rows, type=f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def tidy(runs: pd.DataFrame) -> pd.DataFrame:
    """Sort by (point, replication), drop repeated keys, renumber the index."""
    runs = runs.drop_duplicates(list(KEY)).sort_values(list(KEY), kind="stable")
    return runs.reset_index(drop=True)
