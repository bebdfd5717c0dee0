"""Scenario files: pydantic models, loading, protocol resolution and ``--set`` overrides.

``load(path, overrides)`` turns a TOML file into a frozen, validated :class:`Scenario` with its
protocol resolved from ``protocols/NAME.toml`` (or a path). Every problem becomes an
:class:`~sim.errors.InputError` naming the file, the dotted field path and what was expected.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import InputError, dotted
from sim.protocol import registry
from sim.protocol.spec import ProtocolBase, Side, Strict, ZoneSpec
from sim.units import H

Mission = Literal["strike", "cap", "isr", "tanker", "awacs", "bomber", "cruise_missile"]


class Waypoint(Strict):
    """A route point: a named place or lat/lon, at an altitude."""

    place: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    alt_ft: float = Field(ge=0, le=70000)

    @model_validator(mode="after")
    def _one_position(self) -> Waypoint:
        has_ll = self.lat is not None and self.lon is not None
        if (self.place is not None) == has_ll or (self.lat is None) != (self.lon is None):
            raise ValueError("give either place or both lat and lon")
        return self


class FlightSpec(Strict):
    """An explicit flight, flown exactly as written from ``depart_s``."""

    id: str = Field(min_length=1)
    side: Side
    type: str
    mission: str = "explicit"
    depart_s: float = Field(0.0, ge=0)
    speed_kt: float | None = Field(None, gt=0)
    route: list[Waypoint] = Field(min_length=2)


class EscortSpec(Strict):
    """Fighters that fly with a stream's formations (a strike package's escort)."""

    type: str
    size: int = Field(2, ge=1, le=4, description="escort aircraft per package")
    share: float = Field(1.0, ge=0, le=1, description="share of the formations escorted")
    above_ft: float = Field(5000.0, ge=0, description="at least this far above the package")
    trail_nm: float = Field(2.0, ge=0, description="this far behind the package's lead")


class SortieStream(Strict):
    """Generated sorties: a Poisson stream of one type and mission from one base."""

    side: Side
    base: str
    type: str
    mission: Mission
    per_day: float = Field(ge=0, description="mean sorties (or missiles) per 24 h")
    targets: list[str] = Field(min_length=1)
    target_radius_nm: float = Field(15.0, ge=0)
    time_on_station_min: float | None = Field(None, ge=0)
    alt_ft: tuple[float, float] | None = Field(
        None, description="[low, high]; type's band if absent"
    )
    from_h: float = Field(0.0, ge=0, description="first hour of the day this stream flies")
    to_h: float = Field(24.0, gt=0, description="last hour of the day this stream flies")
    salvo: int = Field(
        1, ge=1, description="missiles per launch (cruise_missile) or per aircraft (weapon)"
    )
    tempo: Literal["poisson", "fixed"] = Field(
        "poisson", description="poisson: a Poisson count; fixed: exactly per_day × scale a day"
    )
    corridor: str | None = Field(None, description="route to Syria; default: the base's corridor")
    weapon: str | None = Field(None, description="stand-off missile type each aircraft launches")
    launch_point: str | None = Field(None, description="place where the weapon is launched")
    aim_points: int | None = Field(
        None, ge=1, description="distinct aim points the sorties (or missiles) share"
    )
    refuel: bool | None = Field(
        None, description="air-to-air refuelling at a tanker track; default: when needed"
    )
    formation_size: int | None = Field(
        None, ge=1, le=4, description="aircraft per formation; the type's table if absent"
    )
    escort: EscortSpec | None = None

    @model_validator(mode="after")
    def _window(self) -> SortieStream:
        if self.to_h <= self.from_h:
            raise ValueError(f"to_h must be > from_h, got from_h={self.from_h}, to_h={self.to_h}")
        if self.alt_ft is not None and self.alt_ft[0] > self.alt_ft[1]:
            raise ValueError("alt_ft must be [low, high] with low <= high")
        if (self.weapon is None) != (self.launch_point is None):
            raise ValueError("weapon and launch_point go together: give both or neither")
        if self.weapon is not None and self.mission != "bomber":
            raise ValueError(f"weapon needs mission = 'bomber', got {self.mission!r}")
        return self


class Traffic(Strict):
    """Generated traffic: a scale on every rate, and the sortie streams."""

    scale: float = Field(1.0, ge=0, description="multiplies every sortie rate")
    sorties: list[SortieStream] = Field(default_factory=list)


class CategorySpec(Strict):
    """An encounter cylinder: its name, radius and half-height."""

    name: str
    radius_ft: float = Field(gt=0)
    half_height_ft: float = Field(gt=0)


class EncounterSpec(Strict):
    """Which pairs count, and the cylinders (defaults unless given)."""

    pairs: Literal["cross-side", "all"] = "cross-side"
    categories: list[CategorySpec] | None = Field(None, min_length=1)


class UncertaintySpec(Strict):
    """Position error of every aircraft about its planned legs (``sim.uncertainty``).

    A field left out takes the default of each aircraft's kind from
    ``sim/data/position_error.toml``; a value given applies to every aircraft.
    """

    lateral_sd_nm: float | None = Field(None, ge=0, le=50, description="cross-track sd")
    along_track_sd_s: float | None = Field(None, ge=0, le=3600, description="timing sd")
    vertical_sd_ft: float | None = Field(None, ge=0, le=10000, description="vertical sd")
    sample: bool = Field(False, description="draw the errors into the flown legs")
    timing_draws: int = Field(
        0, ge=0, le=1000, description="re-timings averaged in the expected counts over timing"
    )


class SweepSpec(Strict):
    """Replications and varied paths for ``sweep``."""

    replications: int = Field(10, ge=1)
    vary: dict[str, list[Any]] = Field(default_factory=dict)


class SensitivitySpec(Strict):
    """Parameters and ranges for ``deconflict sensitivity`` (dotted path -> [low, high])."""

    params: dict[str, tuple[float, float]] = Field(default_factory=dict)
    samples: int = Field(64, ge=2)
    method: Literal["sobol", "morris"] = "sobol"

    @field_validator("params")
    @classmethod
    def _ranges(cls, params: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (lo, hi) in params.items():
            if not lo < hi:
                raise ValueError(f"{name}: low must be below high, got [{lo}, {hi}]")
        return params


class Scenario(Strict):
    """A validated scenario with its protocol resolved (what the engine runs)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str
    title: str = ""
    protocol: SerializeAsAny[ProtocolBase]
    start: datetime = datetime.fromisoformat("2015-11-17T00:00:00+00:00")
    duration_h: float = Field(24.0, gt=0, le=24 * 14)
    seed: int = Field(1, ge=0)
    sources: list[str] = Field(default_factory=list)
    traffic: Traffic = Traffic()
    flights: list[FlightSpec] = Field(default_factory=list)
    zones: list[ZoneSpec] = Field(default_factory=list)
    encounters: EncounterSpec = EncounterSpec()
    uncertainty: UncertaintySpec = UncertaintySpec()
    sweep: SweepSpec = SweepSpec()
    sensitivity: SensitivitySpec = SensitivitySpec()
    path: str = Field("", description="the file it came from (for messages)")

    @field_validator("flights")
    @classmethod
    def _unique_ids(cls, flights: list[FlightSpec]) -> list[FlightSpec]:
        seen: set[str] = set()
        for f in flights:
            if f.id in seen:
                raise ValueError(f"flight id {f.id!r} appears twice")
            seen.add(f.id)
        return flights

    @property
    def duration_s(self) -> float:
        """Simulated time (s)."""
        return self.duration_h * H

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-path overrides applied and validated again."""
        raw = self.model_dump(mode="python", exclude={"protocol", "path"})
        raw["protocol"] = self.protocol.model_dump(mode="python")
        return _build(raw, overrides, Path(self.path or "<scenario>"))


# --------------------------------------------------------------------------- loading


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, resolve and validate a scenario file.

    Parameters
    ----------
    path : the scenario TOML file.
    overrides : dotted paths to values, as ``--set`` gives them (``"traffic.scale": 2``,
        ``"protocol.hotline.operators": 1``, ``"protocol": "none"``).
    """
    path = Path(path)
    raw = read_toml(path)
    return _build(raw, overrides or {}, path)


def load_json(path: str | Path) -> Scenario:
    """A scenario saved as JSON (``scenario.json`` of ``run --out``), validated again."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object")
    raw.pop("path", None)
    return _build(raw, {}, path)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or a syntax error into one clear line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: TOML syntax error: {exc}") from None


def _build(raw: dict[str, Any], overrides: dict[str, Any], path: Path) -> Scenario:
    """Validate a raw scenario, reporting every problem of the file at once: its fields, its
    protocol (name and fields), and its references (places, types, corridors, dates).
    """
    from sim.checks import reference_problems

    raw = copy.deepcopy(raw)
    file_overrides = raw.pop("protocol_overrides", {}) or {}
    if not isinstance(file_overrides, dict):
        raise InputError(f"{path}: protocol_overrides: must be a table of dotted paths")
    scen_over = {
        k: v for k, v in overrides.items() if k != "protocol" and not k.startswith("protocol.")
    }
    proto_over = {"protocol." + k: v for k, v in file_overrides.items()}
    proto_over.update({k: v for k, v in overrides.items() if k.startswith("protocol.")})
    if "protocol" in overrides:
        raw["protocol"] = overrides["protocol"]
    for key, value in scen_over.items():
        set_path(raw, key, value, path)
    problems: list[str] = []
    try:
        raw["protocol"] = _protocol_raw(raw.get("protocol", "none"), path)
        for key, value in proto_over.items():
            set_path(raw, key, value, path)
        raw["protocol"] = registry.build_protocol(raw["protocol"])
    except InputError as exc:
        problems += exc.problems
        raw["protocol"] = None
    except ValidationError as exc:
        problems += _messages(exc, path, prefix=("protocol",))
        raw["protocol"] = None
    raw["path"] = str(path)
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems += [
            m for m in _messages(exc, path) if raw["protocol"] is not None or ": protocol:" not in m
        ]
    problems += reference_problems(raw, path)
    if scenario is not None:
        problems += model_problems(scenario, path)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    assert scenario is not None
    return scenario


def model_problems(s: Scenario, path: Path) -> list[str]:
    """Checks that need the validated model: zone shapes and the protocol's own names."""
    out: list[str] = []
    for i, z in enumerate(s.zones):
        try:
            z.geometry()
        except (LookupError, ValueError) as exc:
            out.append(f"{path}: zones[{i}]: {exc}")
    out += [f"{path}: protocol.{p}" for p in registry.problems(s.protocol)]
    return out


def _protocol_raw(ref: Any, scenario_path: Path) -> dict[str, Any]:
    """The raw table of the protocol a scenario names (already a table when re-validating)."""
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str) or not ref:
        raise InputError(
            f"{scenario_path}: protocol: expected a protocol name or path, got {ref!r}"
        )
    proto_path = find_protocol(ref, scenario_path)
    raw = read_toml(proto_path)
    _validate_protocol(raw, proto_path)
    return raw


def _validate_protocol(raw: dict[str, Any], path: Path) -> ProtocolBase:
    """A protocol file's own problems, named against that file: fields, then zones and names."""
    try:
        protocol = registry.build_protocol(raw)
    except ValidationError as exc:
        raise InputError(_messages(exc, path)) from None
    problems = [f"{path}: {p}" for p in registry.problems(protocol)]
    if problems:
        raise InputError(problems)
    return protocol


def find_protocol(ref: str, scenario_path: Path | None = None) -> Path:
    """Locate ``protocols/NAME.toml`` near the scenario, in the working directory, or a path."""
    if ref.endswith(".toml") or "/" in ref:
        candidates = [Path(ref)]
        if scenario_path is not None:
            candidates.insert(0, scenario_path.parent / ref)
    else:
        candidates = []
        if scenario_path is not None:
            candidates += [
                scenario_path.parent / "protocols" / f"{ref}.toml",
                scenario_path.parent.parent / "protocols" / f"{ref}.toml",
            ]
        candidates += [
            Path("protocols") / f"{ref}.toml",
            Path(__file__).resolve().parent.parent / "protocols" / f"{ref}.toml",
        ]
    for c in candidates:
        if c.is_file():
            return c
    where = scenario_path or "<command line>"
    known = sorted({p.stem for c in candidates for p in c.parent.glob("*.toml")})
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (looked for {candidates[0]})"
    raise InputError(f"{where}: protocol: no protocol file found for {ref!r}{hint}")


def load_protocol(ref: str | Path) -> ProtocolBase:
    """Load and validate one protocol file by name or path."""
    path = find_protocol(str(ref))
    return _validate_protocol(read_toml(path), path)


# --------------------------------------------------------------------------- overrides

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)$")


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (numbers, booleans, arrays, quoted strings); else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE`` from the command line."""
    if "=" not in text:
        raise InputError(f"--set {text}: expected PATH=VALUE, e.g. traffic.scale=2")
    key, value = text.split("=", 1)
    return key.strip(), parse_value(value.strip())


def set_path(raw: dict[str, Any], key: str, value: Any, path: Path) -> None:
    """Set ``raw[a][b][2][c] = value`` for the dotted key ``a.b[2].c``, making tables as needed."""
    node: Any = raw
    parts = _split(key, path)
    for i, (name, indexes) in enumerate(parts):
        last = i == len(parts) - 1 and not indexes
        if not isinstance(node, dict):
            raise InputError(f"{path}: {key}: {dotted([p for p, _ in parts[:i]])} is not a table")
        if last:
            node[name] = value
            return
        node = node.setdefault(name, {} if not indexes else [])
        for j, idx in enumerate(indexes):
            if not isinstance(node, list) or idx >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise InputError(f"{path}: {key}: index {idx} out of range (there are {size})")
            if i == len(parts) - 1 and j == len(indexes) - 1:
                node[idx] = value
                return
            node = node[idx]


def _split(key: str, path: Path) -> list[tuple[str, list[int]]]:
    parts = []
    for seg in key.split("."):
        m = _SEGMENT.match(seg)
        if not m:
            raise InputError(
                f"{path}: {key}: not a dotted field path (e.g. traffic.sorties[0].per_day)"
            )
        parts.append((m.group(1), [int(x) for x in re.findall(r"\[(\d+)\]", m.group(2))]))
    return parts


# --------------------------------------------------------------------------- messages


def _messages(exc: ValidationError, path: Path, prefix: tuple[str, ...] = ()) -> list[str]:
    """One line per problem: ``file: field.path: what was expected, got what``.

    A misspelt key shows up twice to pydantic (unknown key, required key missing); it is
    reported once, as the unknown key with the missing one as the suggestion.
    """
    errs = [
        dict(
            e,
            loc=prefix
            + tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))),
        )
        for e in exc.errors()
    ]
    missing = {e["loc"] for e in errs if e["type"] == "missing"}
    lines, explained = [], set()
    for err in errs:
        if err["type"] != "extra_forbidden":
            continue
        parent, key = err["loc"][:-1], str(err["loc"][-1])
        siblings = [str(m[-1]) for m in missing if m[:-1] == parent]
        close = difflib.get_close_matches(key, siblings, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (check the spelling)"
        if close:
            explained.add((*parent, close[0]))
        lines.append(f"{path}: {dotted(err['loc'])}: unknown key{hint}")
    for err in errs:
        field, kind = dotted(err["loc"]) or "(top level)", err["type"]
        if kind == "extra_forbidden" or err["loc"] in explained:
            continue
        if kind == "missing":
            lines.append(f"{path}: {field}: required field is missing")
        else:
            msg = _expected(kind, err.get("ctx") or {}) or err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            suffix = "" if isinstance(got, (dict, list)) or got is None else f", got {got!r}"
            lines.append(f"{path}: {field}: {msg}{suffix}")
    return lines


_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}
_TYPES = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "tuple_type": "an array",
    "datetime_parsing": "a date-time",
    "datetime_type": "a date-time",
    "datetime_from_date_parsing": "a date-time",
}


def _expected(kind: str, ctx: dict[str, Any]) -> str | None:
    """Short 'must be ...' wording for the common pydantic error kinds."""
    if kind in _BOUNDS:
        op, key = _BOUNDS[kind]
        bound = ctx[key]
        return f"must be {op} {bound:g}" if isinstance(bound, float) else f"must be {op} {bound}"
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    return None
