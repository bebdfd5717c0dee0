"""The files of ``run --out DIR``: writers (every file is written atomically), and the reader
of the scenario and seed a replay needs from such a directory."""

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
from sim.records import RunResult

if TYPE_CHECKING:
    from sim.scenario import Scenario

FLIGHT_COLUMNS = (
    "id",
    "side",
    "type",
    "kind",
    "mission",
    "base",
    "target",
    "takeoff_s",
    "landing_s",
    "flight_hours",
    "rerouted",
    "held_s",
    "manoeuvres",
    "zone_violations",
    "line_crossings",
)
EVENT_COLUMNS = ("t_s", "kind", "side", "aircraft_id", "other_id", "detail")


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
    """CSV with a header row and ``\\n`` line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_fmt(v) for v in row])
    return buf.getvalue()


def encounters_csv(result: RunResult) -> str:
    rows = sorted(result.encounters, key=lambda e: (e.t_start_s, e.a_id, e.b_id))
    return csv_text(ENCOUNTER_COLUMNS, ([getattr(e, c) for c in ENCOUNTER_COLUMNS] for e in rows))


def flights_csv(result: RunResult) -> str:
    return csv_text(
        FLIGHT_COLUMNS, ([getattr(f, c) for c in FLIGHT_COLUMNS] for f in result.flights)
    )


def events_csv(result: RunResult) -> str:
    return csv_text(EVENT_COLUMNS, ([getattr(e, c) for c in EVENT_COLUMNS] for e in result.events))


def summary_json(summary: dict[str, Any]) -> str:
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
    from pydantic import ValidationError

    from sim.errors import InputError
    from sim.scenario import Scenario

    problems = [
        f"{run_dir / name}: missing (not a directory written by `deconflict run --out`)"
        for name in ("scenario.json", "summary.json")
        if not (run_dir / name).is_file()
    ]
    if problems:
        raise InputError(problems)
    try:
        scenario = Scenario.model_validate_json((run_dir / "scenario.json").read_text("utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise InputError(f"{run_dir / 'scenario.json'}: {where}: {first['msg']}") from None
    try:
        seed = json.loads((run_dir / "summary.json").read_text("utf-8"))["seed"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer") from None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"{run_dir / 'summary.json'}: seed: expected an integer, got {seed!r}")
    return scenario, seed
