"""The resumable run store: a sweep directory of ``sweep.json`` and Parquet parts in ``runs/``.

``DIR/sweep.json`` fingerprints what is being run (scenario, grid, replications, package
version and code), and finished runs are flushed in chunks to Parquet part files in
``DIR/runs/``; running the same sweep again runs only what is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

from sim.errors import InputError
from sim.experiments.dataset import KEY, conform, evolve_schema, run_schema, tidy, to_table
from sim.experiments.plan import FORMAT, SweepPlan, _jsonable
from sim.output import atomic_write
from sim.version import __version__

MANIFEST = "sweep.json"
"""The file of a sweep directory that says what it holds."""


class RunStore:
    """A sweep directory: ``sweep.json`` and a Parquet dataset of finished runs in ``runs/``.

    Every file is written atomically, so an interruption never leaves a part file that looks
    whole but is not. The manifest records the dataset's columns; when runs bring a new
    figure, the manifest is updated first, then the saved parts are rewritten to match (a
    rewrite cut short is finished when the store is next opened).
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.runs = self.out / "runs"
        self.base = pa.schema([])
        self.schema = pa.schema([])
        self._manifest: dict[str, Any] = {}

    @contextmanager
    def session(self, plan: SweepPlan) -> Iterator[RunStore]:
        """Open the store and hold its lock: one sweep process writes to a directory at once."""
        self._open(plan)
        with open(self.out / ".lock", "w") as fh:
            if fcntl is not None:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise InputError(
                        f"{self.out}: another sweep is writing here; wait for it to finish "
                        "or choose a new --out"
                    ) from None
            for stale in self.runs.glob(".part-*.tmp"):  # left by a killed sweep
                stale.unlink(missing_ok=True)
            self._conform_parts()
            yield self

    def _open(self, plan: SweepPlan) -> None:
        """Write the manifest of a new sweep, or check that ``out`` holds this very sweep."""
        path = self.out / MANIFEST
        self.base = run_schema(plan)
        if path.exists():
            manifest = json.loads(path.read_text(encoding="utf-8"))
            self._check(manifest, plan)
            self.schema = _schema_from_json(manifest["columns"])
        elif self.out.exists() and any(self.out.iterdir()):
            raise InputError(
                f"{self.out}: exists and is not a sweep directory "
                "(no sweep.json); choose a new --out"
            )
        else:
            self.schema = self.base
            self._manifest = self._new_manifest(plan)
            self._save_manifest()
        self.runs.mkdir(parents=True, exist_ok=True)

    def _new_manifest(self, plan: SweepPlan) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": plan.kind,
            "fingerprint": plan.fingerprint,
            "version": __version__,
            "code": code_fingerprint(),
            "replications": plan.replications,
            "base_seed": plan.base_seed,
            "params": list(plan.params),
            "points": [
                {"point": p.index, **{k: _jsonable(v) for k, v in p.values.items()}}
                for p in plan.points
            ],
            "scenarios": sorted({p.scenario.name for p in plan.points}),
        }

    def _save_manifest(self) -> None:
        manifest = {**self._manifest, "columns": _schema_json(self.schema)}
        atomic_write(self.out / MANIFEST, json.dumps(manifest, indent=2) + "\n")

    def _check(self, manifest: dict[str, Any], plan: SweepPlan) -> None:
        where = self.out / MANIFEST
        if manifest.get("format") != FORMAT or manifest.get("version") != __version__:
            raise InputError(
                f"{where}: written by deconflict {manifest.get('version')}, this is "
                f"{__version__}; results would not be comparable, choose a new --out"
            )
        if manifest.get("code") != code_fingerprint():
            raise InputError(
                f"{where}: the simulator's code has changed since this sweep started; "
                "results would not be comparable, choose a new --out"
            )
        if manifest.get("fingerprint") != plan.fingerprint:
            raise InputError(
                f"{where}: holds a different {manifest.get('kind', 'sweep')} "
                "(scenario, grid or replications differ); choose a new --out "
                "or re-run it exactly as before to resume"
            )
        self._manifest = {k: v for k, v in manifest.items() if k != "columns"}

    def parts(self) -> list[Path]:
        """The part files saved so far, in order."""
        return sorted(self.runs.glob("part-*.parquet"))

    def done_keys(self) -> set[tuple[int, int]]:
        """The (point, replication) keys already saved."""
        keys: set[tuple[int, int]] = set()
        for part in self.parts():
            t = pq.read_table(part, columns=list(KEY))
            keys.update(zip(t["point"].to_pylist(), t["replication"].to_pylist(), strict=True))
        return keys

    def write(self, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Save finished runs as the next part file (atomically), growing the columns first
        if the rows bring new ones.
        """
        grown = evolve_schema(self.schema, self.base, rows)
        if not grown.equals(self.schema):
            self.schema = grown
            self._save_manifest()
            self._conform_parts()
        parts = self.parts()
        n = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        path = self.runs / f"part-{n:06d}.parquet"
        _write_parquet(path, to_table(rows, self.schema))
        return path

    def _conform_parts(self) -> None:
        for part in self.parts():
            table = pq.read_table(part)
            if not table.schema.equals(self.schema, check_metadata=False):
                _write_parquet(part, conform(table, self.schema))

    def read(self) -> pd.DataFrame:
        """Every saved run, sorted by (point, replication)."""
        if not self.parts():
            return tidy(self.schema.empty_table().to_pandas())
        return tidy(pd.read_parquet(self.runs))


def _write_parquet(path: Path, table: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write(path, sink.getvalue().to_pybytes())


def _schema_json(schema: pa.Schema) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in schema]


def _schema_from_json(fields: list[list[str]]) -> pa.Schema:
    types = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string(), "bool": pa.bool_()}
    return pa.schema([(name, types[typ]) for name, typ in fields])


def code_fingerprint() -> str:
    """A hash of the package's files (code and data): runs depend on them as on the scenario."""
    root = Path(__file__).resolve().parents[1]  # the sim package
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()
