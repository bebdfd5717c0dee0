"""What every protocol table shares: frozen validated models, zones, provenance labels.

A protocol file (``protocols/*.toml``) has a name, a title, sources and one table per
mechanism. Each mechanism declares its table's model, a subclass of :class:`MechanismSpec`
with ``enabled`` and a ``provenance`` label: a *published term* of the 20 October 2015 MOU, a
*reported practice*, or a *modelling assumption*. The numbers and their sources live in the
protocol files; the defaults of the models are the "mechanism off" values. The model of a
whole protocol file is built from the registry (``sim.protocol.registry.protocol_model``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.geometry.base import BaseGeometry

__all__ = [
    "MechanismSpec",
    "Probability",
    "ProtocolBase",
    "Provenance",
    "Side",
    "Strict",
    "ZoneSpec",
]

Side = Literal["coalition", "russia"]
Provenance = Literal["published term", "reported practice", "modelling assumption"]
Probability = float


class Strict(BaseModel):
    """Frozen model that rejects unknown keys (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneSpec(Strict):
    """A polygon (lat/lon list), a circle around a place or centre, or a named region."""

    name: str
    side: Side | None = Field(None, description="the side asked to keep out (None: shown only)")
    polygon: list[tuple[float, float]] | None = Field(None, description="[[lat, lon], ...]")
    place: str | None = None
    center: tuple[float, float] | None = Field(None, description="[lat, lon]")
    radius_nm: float | None = Field(None, gt=0)
    region: str | None = None
    floor_ft: float | None = Field(None, ge=0, description="bottom of the zone (None: ground)")
    ceiling_ft: float | None = Field(None, gt=0, description="top of the zone (None: none)")

    @model_validator(mode="after")
    def _one_form(self) -> ZoneSpec:
        forms = [
            self.polygon is not None,
            self.place is not None or self.center is not None,
            self.region is not None,
        ]
        if sum(forms) != 1:
            raise ValueError("give exactly one of polygon, place/center (+ radius_nm), region")
        if (self.place is not None or self.center is not None) and self.radius_nm is None:
            raise ValueError("a circle needs radius_nm")
        if self.place is not None and self.center is not None:
            raise ValueError("give place or center, not both")
        low, high = self.floor_ft, self.ceiling_ft
        if low is not None and high is not None and high <= low:
            raise ValueError("ceiling_ft must be above floor_ft")
        return self

    def geometry(self) -> BaseGeometry:
        """The zone as a Shapely geometry in the simulation plane."""
        from sim import zones

        return zones.zone_polygon(
            polygon=self.polygon,
            place=self.place,
            center=self.center,
            radius_nm=self.radius_nm,
            region=self.region,
        )


class MechanismSpec(Strict):
    """The table of one mechanism in a protocol file: at least ``enabled`` and provenance."""

    enabled: bool = False
    provenance: Provenance = "modelling assumption"


class ProtocolBase(Strict):
    """A protocol file: name, title, sources; the registry adds one field per mechanism."""

    name: str
    title: str = ""
    sources: list[str] = Field(default_factory=list)

    def table(self, name: str) -> MechanismSpec:
        """The table of mechanism ``name`` (its spec model)."""
        value = getattr(self, name, None)
        if not isinstance(value, MechanismSpec):
            raise KeyError(f"protocol {self.name!r} has no mechanism table {name!r}")
        return value
