"""The ``[intercept]`` table and the intercept events: triggers, alert aircraft, the draws.

``sim.protocol.intercept`` is the mechanism; ``sim.protocol.interceptions`` runs the
intercepts of one run; ``sim.protocol.pursuit`` flies one interceptor after one target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.events import EventInfo, EventKind
from sim.protocol.spec import MechanismSpec, Probability, Provenance, Side, Strict, ZoneSpec

__all__ = [
    "INTERCEPT_EVENTS",
    "AlertSpec",
    "InterceptEnd",
    "InterceptOrder",
    "InterceptSpec",
    "InterceptStart",
    "TriggerSpec",
    "log_uniform",
]

Kind = Literal["fixed_wing", "uav", "support"]


class TriggerSpec(Strict):
    """What makes ``side`` send a fighter after an aircraft of the other side."""

    side: Side
    on: Literal["line_crossing", "area", "approach"]
    p: Probability = Field(1.0, ge=0, le=1, description="P(an intercept is ordered)")
    targets: list[Kind] = Field(default_factory=lambda: ["fixed_wing", "uav", "support"])
    unnotified_only: bool = Field(True, description="line_crossing: only unnotified crossings")
    zones: list[ZoneSpec] = Field(default_factory=list, description="area: the defended areas")
    protect: list[str] = Field(default_factory=list, description="approach: own missions")
    range_nm: float = Field(10.0, gt=0, description="approach: how close the other comes")
    scramble: bool = Field(True, description="alert aircraft may be launched for it")
    cooldown_min: float | None = Field(
        None, ge=0, description="the same formation not again sooner (None: the table's)"
    )
    protest: bool = Field(
        False, description="the side also protests over the hotline (once a formation)"
    )

    @model_validator(mode="after")
    def _complete(self) -> TriggerSpec:
        if self.on == "area" and not self.zones:
            raise ValueError("an area trigger needs zones")
        if self.on == "approach" and not self.protect:
            raise ValueError("an approach trigger needs protect (missions of own aircraft)")
        return self

    @property
    def name(self) -> str:
        """``side:on``, e.g. ``coalition:line_crossing`` (in events and figures)."""
        return f"{self.side}:{self.on}"


class AlertSpec(Strict):
    """Fighters on ground alert at a base: ``pairs`` formations of ``size`` ready to launch."""

    side: Side
    base: str
    type: str
    pairs: int = Field(1, ge=1)
    size: int = Field(2, ge=1, le=4)
    launch_min: float = Field(10.0, ge=0, description="from the order to take-off")
    radius_nm: float = Field(150.0, gt=0, description="farthest from the base it is sent")


class InterceptSpec(MechanismSpec):
    """Intercepts and shadowing of the other side's aircraft (see the module docstring)."""

    provenance: Provenance = "reported practice"
    triggers: list[TriggerSpec] = Field(default_factory=list)
    fighters: list[str] = Field(default_factory=lambda: ["cap", "escort", "alert"])
    fighter_types: list[str] = Field(
        default_factory=list, description="types sent whatever their mission (dual-role)"
    )
    max_vector_nm: float = Field(100.0, gt=0)
    vector_min: float = Field(2.0, ge=0, description="from the trigger to the turn")
    alert: list[AlertSpec] = Field(default_factory=list)
    dash_factor: float = Field(1.5, ge=1, description="pursuit speed over cruise speed")
    join_nm: float = Field(5.0, gt=0, description="pursuit turns into shadowing inside this")
    give_up_min: float = Field(20.0, gt=0, description="breaks off if not joined by then")
    step_s: float = Field(10.0, gt=0, description="shadowing legs re-planned this often")
    approach_step_s: float = Field(30.0, gt=0, description="approach legs re-planned this often")
    steady_step_s: float = Field(
        60.0, gt=0, description="longest leg on station behind a target flying straight"
    )
    standoff_ft: tuple[float, float] = (500.0, 9843.0)
    min_standoff_ft: float = Field(0.0, ge=0, description="never closer (professional airmanship)")
    vertical_ft: float = Field(500.0, ge=0)
    bearing_deg: tuple[float, float] = (100.0, 160.0)
    duration_min: tuple[float, float] = (2.0, 40.0)
    p_unsafe: Probability = Field(0.0, ge=0, le=1)
    unsafe_ft: tuple[float, float] = (100.0, 500.0)
    unsafe_vertical_ft: float = Field(100.0, ge=0)
    unsafe_s: float = Field(30.0, gt=0)
    cooldown_min: float = Field(30.0, ge=0, description="a target is not intercepted again sooner")

    @model_validator(mode="after")
    def _ranges(self) -> InterceptSpec:
        for name in ("standoff_ft", "duration_min", "unsafe_ft", "bearing_deg"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= high")
        if self.min_standoff_ft > self.standoff_ft[1]:
            raise ValueError("min_standoff_ft must not exceed the top of standoff_ft")
        return self


@dataclass(frozen=True, slots=True)
class InterceptOrder(EventInfo):
    """A fighter is sent after the other aircraft: why, from where, and how far it has to go."""

    episode: str
    trigger: str
    source: Literal["cap", "escort", "alert"]
    range_m: float


@dataclass(frozen=True, slots=True)
class InterceptStart(EventInfo):
    """The fighter joins and shadows: its station and how long it means to stay."""

    episode: str
    standoff_m: float
    vertical_m: float
    duration_s: float
    unsafe: bool


@dataclass(frozen=True, slots=True)
class InterceptEnd(EventInfo):
    """The fighter breaks off: why, and how long it shadowed."""

    episode: str
    reason: str
    shadowed_s: float


INTERCEPT_EVENTS = (
    EventKind(
        "intercept_ordered",
        InterceptOrder,
        "a fighter is sent to intercept an aircraft of the other side",
        lambda e: (
            "scrambled to intercept"
            if getattr(e.info, "source", "") == "alert"
            else "vectored to intercept"
        ),
    ),
    EventKind(
        "intercept_start",
        InterceptStart,
        "the interceptor joins and shadows the other aircraft",
        lambda e: "shadowing, UNSAFE" if getattr(e.info, "unsafe", False) else "shadowing",
    ),
    EventKind("intercept_end", InterceptEnd, "the interceptor breaks off", "breaks off"),
)


def log_uniform(rng: np.random.Generator, band: tuple[float, float]) -> float:
    """A draw whose logarithm is uniform between the logs of ``band``.

    Examples
    --------
    >>> x = [log_uniform(np.random.default_rng(s), (500.0, 9843.0)) for s in range(200)]
    >>> 500.0 <= min(x) and max(x) <= 9843.0
    True
    """
    lo, hi = band
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else float(lo)
