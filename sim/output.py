"""The files of ``run --out DIR``: writers (every file is written atomically), and the reader
of the scenario and seed a replay needs from such a directory.
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

from sim.encounters import ENCOUNTER_COLUMNS
from sim.records import EVENT_COLUMNS, RunResult

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
    """The text of ``encounters.csv``, sorted by ``t_start_s, a_id, b_id``."""
    rows = sorted(result.encounters, key=lambda e: (e.t_start_s, e.a_id, e.b_id))
    return csv_text(ENCOUNTER_COLUMNS, ([getattr(e, c) for c in ENCOUNTER_COLUMNS] for e in rows))


def flights_csv(result: RunResult) -> str:
    """The text of ``flights.csv``."""
    return csv_text(result.flight_columns, result.flight_rows())


def events_csv(result: RunResult) -> str:
    """The text of ``events.csv``."""
    return csv_text(EVENT_COLUMNS, ([getattr(e, c) for c in EVENT_COLUMNS] for e in result.events))


def summary_json(summary: dict[str, Any]) -> str:
    """The text of ``summary.json``."""
    return json.dumps(summary, indent=2, sort_keys=False, default=float) + "\n"


def write_run(result: RunResult, summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write summary.json, encounters.csv, flights.csv and events.csv into ``out_dir``."""
    out_dir = Path(out_dir)
    texts = {
        "encounters.csv": encounters_csv(result),
        "flights.csv": flights_csv(result),
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
