"""The files of ``run --out DIR``: writers (every file is written atomically), and readers of
what other tools need back from such a directory (the legs flown, the scenario and seed).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import geo
from sim.encounters import ENCOUNTER_COLUMNS, Leg
from sim.records import EVENT_COLUMNS, RunResult
from sim.units import ft_to_m, m_to_ft

if TYPE_CHECKING:
    from sim.scenario import Scenario


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; results are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fmt(value: Any) -> str:
    """Deterministic text for a CSV cell: fixed decimals for floats, 0/1 for booleans."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "" if value != value else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row and Unix line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_fmt(v) for v in row])
    return buf.getvalue()


def encounters_csv(result: RunResult) -> str:
    """The text of ``encounters.csv``, sorted by ``t_start_s, a_id, b_id``; ``p_nmac`` keeps
    six significant digits (it can be tiny).
    """
    rows = sorted(result.encounters, key=lambda e: (e.t_start_s, e.a_id, e.b_id))
    return csv_text(
        ENCOUNTER_COLUMNS,
        (
            [
                _probability(getattr(e, c)) if c == "p_nmac" else getattr(e, c)
                for c in ENCOUNTER_COLUMNS
            ]
            for e in rows
        ),
    )


def _probability(p: float) -> str:
    return "" if p != p else f"{p:.6g}"


def flights_csv(result: RunResult) -> str:
    """The text of ``flights.csv``."""
    return csv_text(result.flight_columns, result.flight_rows())


def events_csv(result: RunResult) -> str:
    """The text of ``events.csv``."""
    return csv_text(EVENT_COLUMNS, ([getattr(e, c) for c in EVENT_COLUMNS] for e in result.events))


LEG_COLUMNS = ("id", "t0_s", "t1_s", "lat0", "lon0", "alt0_ft", "lat1", "lon1", "alt1_ft")
"""The columns of ``legs.csv``."""


def legs_csv(result: RunResult) -> str:
    """Every straight leg flown, as the detector saw it, sorted by ``t0_s, id``.

    Positions are unprojected from the plane (:func:`sim.geo.to_latlon`, all legs at once);
    like every float in the outputs they are written to six decimals (about 0.1 m).
    """
    legs = sorted(result.legs, key=lambda r: (r[1].t0_s, r[0]))  # stable: ties keep their order
    if not legs:
        return csv_text(LEG_COLUMNS, [])
    arr = np.array(
        [(g.t0_s, g.t1_s, g.x0_m, g.y0_m, g.z0_m, g.x1_m, g.y1_m, g.z1_m) for _, g in legs]
    )
    lat0, lon0 = geo.to_latlon(arr[:, 2], arr[:, 3])
    lat1, lon1 = geo.to_latlon(arr[:, 5], arr[:, 6])
    cols = [arr[:, 0], arr[:, 1], lat0, lon0, m_to_ft(arr[:, 4]), lat1, lon1, m_to_ft(arr[:, 7])]
    table = np.column_stack(cols).tolist()
    return csv_text(LEG_COLUMNS, ([aid, *row] for (aid, _), row in zip(legs, table, strict=True)))


def read_legs(path: Path) -> list[tuple[str, Leg]]:
    """The legs of a ``legs.csv``, back in the simulation plane, in the file's order.

    Parameters
    ----------
    path : pathlib.Path
        A ``legs.csv`` written by ``deconflict run --out``.

    Returns
    -------
    list of (str, Leg)
        Aircraft id and leg (plane metres, seconds since the run start).

    Raises
    ------
    InputError
        If the file is missing, lacks a column or has a cell that is not a number.
    """
    from sim.errors import InputError

    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [c for c in LEG_COLUMNS if c not in (rows[0] if rows else _header(text))]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    numeric = LEG_COLUMNS[1:]
    values = np.empty((len(rows), len(numeric)))
    for i, row in enumerate(rows):
        for j, col in enumerate(numeric):
            try:
                values[i, j] = float(row[col])
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}: line {i + 2}: {col}: expected a number, got {row[col]!r}"
                ) from None
    t0, t1, lat0, lon0, alt0, lat1, lon1, alt1 = values.T
    x0, y0 = geo.to_xy(lat0, lon0)
    x1, y1 = geo.to_xy(lat1, lon1)
    z0, z1 = ft_to_m(alt0), ft_to_m(alt1)
    return [
        (row["id"], Leg(*map(float, leg)))
        for row, leg in zip(rows, np.column_stack([t0, t1, x0, y0, z0, x1, y1, z1]), strict=True)
    ]


def _header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)), [])


def summary_json(summary: dict[str, Any]) -> str:
    """The text of ``summary.json``."""
    return json.dumps(summary, indent=2, sort_keys=False, default=float) + "\n"


def write_run(result: RunResult, summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write summary.json, encounters.csv, flights.csv, legs.csv and events.csv into
    ``out_dir``.
    """
    out_dir = Path(out_dir)
    texts = {
        "encounters.csv": encounters_csv(result),
        "flights.csv": flights_csv(result),
        "legs.csv": legs_csv(result),
        "events.csv": events_csv(result),
        "summary.json": summary_json(summary),
    }
    paths = []
    for name, text in texts.items():
        atomic_write(out_dir / name, text)
        paths.append(out_dir / name)
    return paths


def read_run_dir(run_dir: Path) -> tuple[Scenario, int]:
    """The resolved scenario and seed of a ``deconflict run --out`` directory.

    Raises
    ------
    InputError
        If ``scenario.json`` or ``summary.json`` is missing or unreadable.
    """
    from sim.errors import InputError
    from sim.scenario import load_json

    problems = [
        f"{run_dir / name}: missing (not a directory written by `deconflict run --out`)"
        for name in ("scenario.json", "summary.json")
        if not (run_dir / name).is_file()
    ]
    if problems:
        raise InputError(problems)
    scenario = load_json(run_dir / "scenario.json")
    try:
        seed = json.loads((run_dir / "summary.json").read_text("utf-8"))["seed"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer") from None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer, got {seed!r}")
    return scenario, seed
