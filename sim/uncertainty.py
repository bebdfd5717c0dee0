"""Position error: how far each aircraft is from its planned legs, and the draws of it.

Every aircraft carries three independent zero-mean normal errors per straight leg, constant
along the leg and independent between legs and between aircraft: cross-track (``lateral``),
along-track as a timing error (``along``: the aircraft is where the leg's line has it at
``t + tau``) and vertical. Their standard deviations come from ``sim/data/position_error.toml``
by kind of aircraft (with sources), unless the scenario's ``[uncertainty]`` table sets them for
every aircraft. With ``sample = true`` the errors are drawn into the legs the encounter
detector sees (:meth:`ErrorModel.offset`, :func:`shifted`); otherwise they only feed the
expected counts (``sim.expected``).
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from statistics import NormalDist
from typing import TYPE_CHECKING

from sim.aircraft import KINDS, find_type
from sim.units import FT, NM

if TYPE_CHECKING:
    from sim.encounters import Leg
    from sim.streams import Streams

__all__ = ["STREAM", "ErrorModel", "ErrorSd", "kind_defaults", "leg_offset", "shifted"]

STREAM = "position_error"
"""The name of the random stream the errors are drawn from (keyed by aircraft and leg)."""

_NORMAL = NormalDist()
_U53 = float(2**53)


@dataclass(frozen=True, slots=True)
class ErrorSd:
    """Standard deviations of one aircraft's error: cross-track (m), timing (s), vertical (m)."""

    lateral_m: float
    along_s: float
    vertical_m: float

    @property
    def any(self) -> bool:
        """Whether any of the three is above zero."""
        return self.lateral_m > 0 or self.along_s > 0 or self.vertical_m > 0


@functools.cache
def kind_defaults() -> dict[str, dict[str, float | str]]:
    """The default sds per kind of aircraft, in file units, with their source strings.

    Examples
    --------
    >>> kind_defaults()["fixed_wing"]["vertical_sd_ft"]
    97.0
    """
    text = resources.files("sim").joinpath("data", "position_error.toml").read_text("utf-8")
    table = tomllib.loads(text)["kinds"]
    out: dict[str, dict[str, float | str]] = {}
    for kind in KINDS:
        entry = table[kind]
        out[kind] = {
            **{
                k: float(entry[k]) for k in ("lateral_sd_nm", "along_track_sd_nm", "vertical_sd_ft")
            },
            "source": str(entry["source"]),
        }
    return out


@dataclass(frozen=True)
class ErrorModel:
    """The position-error model of a run: per-type sds (defaults by kind, or one value for
    every aircraft where the scenario sets it) and whether to sample errors into the flown legs.

    Examples
    --------
    >>> model = ErrorModel(lateral_sd_nm=0.1, along_track_sd_s=None, vertical_sd_ft=0.0)
    >>> sd = model.sd("F-16")
    >>> round(sd.lateral_m, 1), round(sd.along_s, 2), sd.vertical_m
    (185.2, 3.74, 0.0)
    """

    lateral_sd_nm: float | None = None
    along_track_sd_s: float | None = None
    vertical_sd_ft: float | None = None
    sample: bool = False

    def sd(self, type_name: str) -> ErrorSd:
        """The sds of an aircraft of this type (scenario values first, then the kind's)."""
        return _sd(self.lateral_sd_nm, self.along_track_sd_s, self.vertical_sd_ft, type_name)

    def active(self, type_names: list[str] | set[str] | tuple[str, ...]) -> bool:
        """Whether any aircraft of these types has an error above zero."""
        return any(self.sd(t).any for t in type_names)

    def offset(
        self, streams: Streams, aircraft_id: str, type_name: str, k: int, leg: Leg
    ) -> tuple[float, float, float]:
        """The drawn error of leg ``k`` of an aircraft, as a displacement (m): the leg as
        flown is ``shifted(leg, offset)``.

        The draw is keyed by the aircraft and the leg number, so it does not depend on
        anything else in the run.
        """
        sd = self.sd(type_name)
        if not sd.any:
            return (0.0, 0.0, 0.0)
        return leg_offset(leg, sd, draw_normals(streams, aircraft_id, k))


@functools.cache
def _sd(
    lat_nm: float | None, along_s: float | None, vert_ft: float | None, type_name: str
) -> ErrorSd:
    t = find_type(type_name)
    d = kind_defaults()[t.kind]
    lateral = float(d["lateral_sd_nm"]) if lat_nm is None else lat_nm
    vertical = float(d["vertical_sd_ft"]) if vert_ft is None else vert_ft
    along = float(d["along_track_sd_nm"]) / t.cruise_kt * 3600.0 if along_s is None else along_s
    return ErrorSd(lateral * NM, along, vertical * FT)


def draw_normals(streams: Streams, aircraft_id: str, k: int) -> tuple[float, float, float, float]:
    """Four standard normals for leg ``k`` of an aircraft: timing, across, vertical, and a
    second horizontal one used only when the leg does not move horizontally.
    """
    words = streams.sequence(STREAM, aircraft_id, str(k)).generate_state(4, "uint64")
    u = [(float(int(w) >> 11) + 0.5) / _U53 for w in words]
    return tuple(_NORMAL.inv_cdf(x) for x in u)  # type: ignore[return-value]


def leg_offset(
    leg: Leg, sd: ErrorSd, z: tuple[float, float, float, float]
) -> tuple[float, float, float]:
    """The displacement ``tau v + y n + dz k`` of a leg for standard normals ``z``.

    Examples
    --------
    >>> from sim.encounters import Leg
    >>> leg = Leg(0, 100, 0, 0, 1000, 20000, 0, 1000)  # east at 200 m/s
    >>> leg_offset(leg, ErrorSd(100.0, 2.0, 30.0), (1.0, 1.0, -1.0, 0.0))
    (400.0, 100.0, -30.0)
    """
    vx, vy, vz = leg.velocity()
    tau, y, dz = sd.along_s * z[0], sd.lateral_m * z[1], sd.vertical_m * z[2]
    speed = math.hypot(vx, vy)
    if speed > 0:
        nx, ny = -vy / speed, vx / speed
        return (tau * vx + y * nx, tau * vy + y * ny, tau * vz + dz)
    return (y, sd.lateral_m * z[3], tau * vz + dz)


def shifted(leg: Leg, offset: tuple[float, float, float]) -> Leg:
    """The leg moved by a constant offset (same times, same velocity)."""
    dx, dy, dz = offset
    return type(leg)(
        leg.t0_s,
        leg.t1_s,
        leg.x0_m + dx,
        leg.y0_m + dy,
        leg.z0_m + dz,
        leg.x1_m + dx,
        leg.y1_m + dy,
        leg.z1_m + dz,
    )
