"""Pydantic models of protocol files (``protocols/*.toml``): one table per mechanism.

Every mechanism has ``enabled`` and a ``provenance`` label: a *published term* of the
20 October 2015 MOU, a *reported practice*, or a *modelling assumption*. The numbers and
their sources live in the protocol files; the defaults here are the "mechanism off" values.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
        return self


class Hotline(Strict):
    """A ground hotline between the two commands: a SimPy resource with queueing and outages."""

    enabled: bool = False
    provenance: Provenance = "published term"
    operators: int = Field(1, ge=1, description="operators per end (resource capacity)")
    setup_min: float = Field(0.0, ge=0, description="call set-up (dialling, identification)")
    translation_min: float = Field(0.0, ge=0, description="interpretation / translation")
    handling_min: float = Field(1.0, gt=0, description="mean handling time of one call")
    handling_cv: float = Field(0.5, ge=0, description="coefficient of variation (lognormal)")
    mtbo_h: float = Field(0.0, ge=0, description="mean time between outages; 0 = never")
    outage_mean_min: float = Field(0.0, ge=0, description="mean length of an outage")
    relay_min: float = Field(0.0, ge=0, description="operations centre -> aircraft relay delay")


class Notification(Strict):
    """Strike pre-notification over the hotline, honoured by rerouting or holding."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    notifier: Side = "russia"
    lead_time_min: float = Field(0.0, ge=0)
    compliance: Probability = Field(1.0, ge=0, le=1, description="P(a strike is notified)")
    receiver_compliance: Probability = Field(1.0, ge=0, le=1, description="P(a flight complies)")
    area_radius_nm: float = Field(10.0, gt=0)
    window_min: float = Field(30.0, gt=0, description="length of the notified window")
    buffer_nm: float = Field(5.0, ge=0, description="margin kept around the notified area")
    action: Literal["reroute", "hold"] = "reroute"
    missile_corridor_nm: float = Field(10.0, gt=0, description="half-width of missile corridors")
    via: Literal["hotline", "ceasefire_hotline"] = "hotline"
    batch_min: float = Field(0.0, ge=0, description="sent at map exchanges this often; 0 = at once")


class KeepOut(Strict):
    """Standing keep-out areas honoured by route planning."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    compliance: Probability = Field(1.0, ge=0, le=1)
    buffer_nm: float = Field(2.0, ge=0)
    zones: list[ZoneSpec] = Field(default_factory=list)


class Radio(Strict):
    """Air-to-air calls on agreed frequencies (or guard only) when a conflict is predicted."""

    enabled: bool = False
    provenance: Provenance = "published term"
    agreed_frequencies: bool = True
    alert_range_nm: float = Field(5.0, gt=0)
    alert_height_ft: float = Field(2000.0, gt=0)
    lookahead_min: float = Field(2.0, gt=0)
    p_success: Probability = Field(0.5, ge=0, le=1, description="before the comms test")
    p_success_after_test: Probability = Field(0.8, ge=0, le=1)
    p_guard: Probability = Field(0.05, ge=0, le=1, description="guard frequency only")
    response_s: float = Field(15.0, ge=0, description="pilot response delay")
    manoeuvre: Literal["altitude", "heading"] = "altitude"
    altitude_change_ft: float = Field(2000.0, gt=0)
    heading_offset_deg: float = Field(30.0, gt=0, lt=90)


class CommsTest(Strict):
    """The scheduled air-to-air communications test (3 November 2015, ~3 minutes)."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    at_h: float = Field(0.0, ge=0, description="hours after the scenario start")
    duration_min: float = Field(3.0, gt=0)
    place: str = "Palmyra"


class DeconflictionLine(Strict):
    """The 2017 Euphrates line: each side keeps to its bank; crossings notified first."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    crossing_fraction: Probability = Field(
        0.0, ge=0, le=1, description="share of sorties aimed across the line that still cross"
    )
    p_unnotified: Probability = Field(0.0, ge=0, le=1, description="P(a crossing is unnotified)")
    notice_min: float = Field(30.0, ge=0, description="how long before take-off it is notified")
    corridor_nm: float = Field(10.0, gt=0, description="half-width kept clear around a crossing")
    setback_nm: float = Field(
        5.0, ge=0, description="how far back from the line re-aimed sorties stay"
    )


class Separation(Strict):
    """The MOU 'rule of threes' watched by controllers (AWACS, Hmeymim ground control)."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    radius_nm: float = Field(3.0, gt=0)
    height_ft: float = Field(3000.0, gt=0)
    lookahead_min: float = Field(5.0, gt=0)
    controller_delay_s: float = Field(60.0, ge=0)
    awacs_coverage: list[ZoneSpec] = Field(default_factory=list)
    ground_coverage: list[ZoneSpec] = Field(default_factory=list)


class Unilateral(Strict):
    """The US rule of October 2015: divert when a Russian aircraft comes within 20 NM."""

    enabled: bool = False
    provenance: Provenance = "reported practice"
    divert_range_nm: float = Field(20.0, gt=0)
    compliance: Probability = Field(1.0, ge=0, le=1)
    response_s: float = Field(30.0, ge=0)
    coverage: list[ZoneSpec] = Field(default_factory=list)


class Protocol(Strict):
    """A protocol file: name, title, sources and one table per mechanism."""

    name: str
    title: str = ""
    sources: list[str] = Field(default_factory=list)
    hotline: Hotline = Hotline()
    ceasefire_hotline: Hotline = Hotline()
    notification: Notification = Notification()
    keep_out: KeepOut = KeepOut()
    radio: Radio = Radio()
    comms_test: CommsTest = CommsTest()
    deconfliction_line: DeconflictionLine = DeconflictionLine()
    separation: Separation = Separation()
    unilateral: Unilateral = Unilateral()

    @model_validator(mode="after")
    def _needs_a_line(self) -> Protocol:
        if self.notification.enabled and not getattr(self, self.notification.via).enabled:
            raise ValueError(
                f"notification.via: {self.notification.via} must be enabled to carry notifications"
            )
        return self
