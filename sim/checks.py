"""Reference checks of a scenario's raw table: every name must exist, every force be in theatre.

These run on the raw table (before or without the pydantic model), so a file's misspelt key,
its unknown place and its unknown aircraft type are all reported in one go. Each problem is
one line: ``file: field.path: what is wrong``.

Examples
--------
>>> raw = {"traffic": {"sorties": [{"side": "russia", "base": "Hmeymin", "type": "Su-34",
...        "mission": "strike", "targets": ["Idlib"]}]}}
>>> reference_problems(raw, "x.toml")
["x.toml: traffic.sorties[0].base: unknown place 'Hmeymin'; did you mean 'Hmeymim'?"]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sim import aircraft, corridors, forces, places

__all__ = ["reference_problems", "run_dates"]


def run_dates(raw: dict[str, Any]) -> tuple[date, date] | None:
    """The first and last calendar day (UTC) a scenario's run covers, if its fields are valid."""
    start = raw.get("start", "2015-11-17T00:00:00+00:00")
    try:
        t0 = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
        hours = float(raw.get("duration_h", 24.0))
    except (TypeError, ValueError):
        return None
    if hours <= 0:
        return None
    t1 = t0 + timedelta(hours=hours) - timedelta(microseconds=1)
    return t0.date(), t1.date()


def _items(raw: dict[str, Any], *keys: str) -> list[tuple[int, dict[str, Any]]]:
    node: Any = raw
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return []
    return [(i, x) for i, x in enumerate(node) if isinstance(x, dict)]


def reference_problems(raw: dict[str, Any], path: object) -> list[str]:
    """Names that must exist in the package data (places, types, corridors, weapons, tanker
    support) and forces that must be in the theatre on the scenario's dates.
    """
    out: list[str] = []

    def check(field: str, fn: Callable[[str], object], value: object) -> bool:
        if not isinstance(value, str):
            return False  # a wrong type is pydantic's to report
        try:
            fn(value)
        except (LookupError, ValueError) as exc:
            out.append(f"{path}: {field}: {exc}")
            return False
        return True

    dates = run_dates(raw)
    sorties = _items(raw, "traffic", "sorties")
    for i, st in sorties:
        at = f"traffic.sorties[{i}]"
        base_ok = check(f"{at}.base", places.find_place, st.get("base"))
        type_ok = check(f"{at}.type", aircraft.find_type, st.get("type"))
        targets = st.get("targets")
        for j, target in enumerate(targets if isinstance(targets, list) else []):
            check(f"{at}.targets[{j}]", places.find_place, target)
        if st.get("corridor") is not None:
            check(f"{at}.corridor", corridors.find_corridor, st.get("corridor"))
        escort = st.get("escort")
        if isinstance(escort, dict) and escort.get("type") is not None:
            escort_ok = check(f"{at}.escort.type", aircraft.find_type, escort["type"])
            if dates is not None and base_ok and escort_ok:
                for _, msg in forces.date_problems(st["base"], escort["type"], *dates):
                    out.append(f"{path}: {at}.escort.type: {msg}")
        if st.get("launch_point") is not None:
            check(f"{at}.launch_point", places.find_place, st.get("launch_point"))
        if st.get("weapon") is not None and check(f"{at}.weapon", aircraft.find_type, st["weapon"]):
            w = aircraft.find_type(st["weapon"])
            if w.kind != "missile":
                out.append(f"{path}: {at}.weapon: {w.name} is not a missile (kind {w.kind})")
        if type_ok and st.get("refuel") is True:
            out += _refuel_problems(raw, st, at, path)
        if dates is not None and base_ok and type_ok:
            for field, msg in forces.date_problems(st["base"], st["type"], *dates):
                out.append(f"{path}: {at}.{field}: {msg}")
        if dates is not None and st.get("weapon") is not None:
            try:
                for _, msg in forces.date_problems(None, st["weapon"], *dates):
                    out.append(f"{path}: {at}.weapon: {msg}")
            except LookupError:
                pass
    for i, f in _items(raw, "flights"):
        if check(f"flights[{i}].type", aircraft.find_type, f.get("type")) and dates is not None:
            for _, msg in forces.date_problems(None, f["type"], *dates):
                out.append(f"{path}: flights[{i}].type: {msg}")
        for j, wp in _items(f, "route"):
            if wp.get("place") is not None:
                check(f"flights[{i}].route[{j}].place", places.find_place, wp["place"])
    return out


def _refuel_problems(raw: dict[str, Any], st: dict[str, Any], at: str, path: object) -> list[str]:
    t = aircraft.find_type(st["type"])
    if t.aar_endurance_h is None:
        return [f"{path}: {at}.refuel: {t.name} does not refuel in the air (no aar_endurance_h)"]
    tankers = [
        s
        for _, s in _items(raw, "traffic", "sorties")
        if s.get("mission") == "tanker" and s.get("side") == st.get("side")
    ]
    if not tankers:
        return [f"{path}: {at}.refuel: no tanker stream on side {st.get('side')!r} to refuel from"]
    return []
