"""Hotlines between the two commands, as SimPy resources and processes.

A hotline is ``operators`` parallel channels (operators per end) between two operations
centres. A call placed by one side queues for a free channel (first come, first served),
waits for the line if it is down, is set up and interpreted, is answered, and is then handled
for a random time before the message counts as passed on. An optional outage process takes the
whole line down now and then.

Modelling choices
-----------------
- **Set-up and translation** are one fixed delay, ``(setup_min + translation_min) * 60`` s,
  from getting a channel to the answer. If the line drops during set-up, the call is redialled
  from the start once the line is restored (no call is answered while the line is down).
- **Handling** is lognormal with mean ``handling_min`` and coefficient of variation
  ``handling_cv`` (``cv = 0``: exactly the mean). A call whose handling is cut by an outage
  keeps its channel, waits for the line and then finishes the *remaining* handling time (the
  conversation resumes where it stopped rather than starting again).
- **Outages** (only when ``mtbo_h > 0`` and ``outage_mean_min > 0``): exponential up-times
  with mean ``mtbo_h`` alternate with exponential outages with mean ``outage_mean_min``; the
  line starts up.
- **Patience**: ``call(..., deadline_s=t)`` abandons the call if it cannot be answered by the
  absolute simulation time ``t``; the caller hangs up at ``t`` (or at once if ``t`` is already
  past). A call that is answered is always handled to its end.
- **Randomness**: one standard normal per call, drawn from ``rng`` when the call is placed (so
  the draws follow the order of calls, whatever the queue does); outages draw from a child
  generator spawned from ``rng``, so switching outages on or off leaves the handling times of
  the calls unchanged (common random numbers).

Events (side = the caller for the three events of a call): ``hotline_request``
(:class:`CallRequest`), ``hotline_answer`` (:class:`CallAnswer`), ``hotline_end``
(:class:`CallEnd`), and, with side ``"both"``, ``hotline_outage`` (:class:`Outage`) and
``hotline_restored`` (:class:`Restored`). Times are seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import simpy
from pydantic import Field

from sim.events import EventInfo, EventKind
from sim.protocol.mechanism import Mechanism, TableRow
from sim.protocol.spec import MechanismSpec, Provenance
from sim.records import Recorder
from sim.units import MIN, H

if TYPE_CHECKING:
    from sim.records import RunResult
    from sim.state import Run

__all__ = [
    "CEASEFIRE_HOTLINE",
    "HOTLINE",
    "HOTLINE_EVENTS",
    "CallAnswer",
    "CallEnd",
    "CallRequest",
    "Hotline",
    "HotlineSpec",
    "Outage",
    "Restored",
    "lognormal_params",
]


class HotlineSpec(MechanismSpec):
    """A ground hotline between the two commands: a SimPy resource with queueing and outages."""

    provenance: Provenance = "published term"
    operators: int = Field(1, ge=1, description="operators per end (resource capacity)")
    setup_min: float = Field(0.0, ge=0, description="call set-up (dialling, identification)")
    translation_min: float = Field(0.0, ge=0, description="interpretation / translation")
    handling_min: float = Field(1.0, gt=0, description="mean handling time of one call")
    handling_cv: float = Field(0.5, ge=0, description="coefficient of variation (lognormal)")
    mtbo_h: float = Field(0.0, ge=0, description="mean time between outages; 0 = never")
    outage_mean_min: float = Field(0.0, ge=0, description="mean length of an outage")
    relay_min: float = Field(0.0, ge=0, description="operations centre -> aircraft relay delay")


@dataclass(frozen=True, slots=True)
class CallRequest(EventInfo):
    """A call placed: its id (``<line>-<n>``), what it is about, and its deadline if any."""

    call: str
    topic: str
    deadline_s: float | None = None


@dataclass(frozen=True, slots=True)
class CallAnswer(EventInfo):
    """A call answered, after ``wait_s`` seconds from the request."""

    call: str
    wait_s: float


@dataclass(frozen=True, slots=True)
class CallEnd(EventInfo):
    """A call ended: the message passed on (after ``handling_s``) or abandoned at ``stage``."""

    call: str
    result: Literal["passed", "abandoned"]
    handling_s: float | None = None
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class Outage(EventInfo):
    """A line went down: which line, and its how-manyth outage."""

    line: str
    outage: int


@dataclass(frozen=True, slots=True)
class Restored(EventInfo):
    """A line is working again after ``down_s`` seconds."""

    line: str
    outage: int
    down_s: float


HOTLINE_EVENTS = (
    EventKind(
        "hotline_request",
        CallRequest,
        "a call is placed and queues for a channel",
        "hotline call queued",
    ),
    EventKind("hotline_answer", CallAnswer, "a call is answered", "hotline call answered"),
    EventKind("hotline_end", CallEnd, "a call ends: message passed on, or abandoned"),
    EventKind("hotline_outage", Outage, "a hotline goes down", "HOTLINE DOWN"),
    EventKind("hotline_restored", Restored, "a hotline works again", "hotline restored"),
)


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """Parameters ``(mu, sigma)`` of the lognormal with the given mean and coefficient of variation.

    Parameters
    ----------
    mean : float
        Mean of the distribution (> 0).
    cv : float
        Coefficient of variation, standard deviation / mean (>= 0).

    Returns
    -------
    tuple of float
        ``mu`` and ``sigma`` of the underlying normal: ``X = exp(mu + sigma * Z)``.

    Examples
    --------
    >>> mu, sigma = lognormal_params(2.0, 0.0)
    >>> round(math.exp(mu), 12), sigma
    (2.0, 0.0)
    >>> mu, sigma = lognormal_params(1.0, 1.0)
    >>> round(math.exp(mu + sigma**2 / 2), 12)  # the mean comes back
    1.0
    """
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


class Hotline:
    """A hotline: ``spec.operators`` parallel channels, set-up, handling and outages.

    Parameters
    ----------
    env : simpy.Environment
        The environment the line lives in (times in seconds).
    spec : HotlineSpec
        Staffing, delays and outage parameters.
    rng : numpy.random.Generator
        The line's own random stream.
    recorder : Recorder
        Where the call and outage events go.
    name : str, optional
        The line's name, the prefix of call keys (``mou-1``, ``mou-2``, ...).

    Examples
    --------
    >>> env = simpy.Environment()
    >>> spec = HotlineSpec(enabled=True, operators=1, setup_min=1.0,
    ...                              handling_min=2.0, handling_cv=0.0)
    >>> line = Hotline(env, spec, np.random.default_rng(1), Recorder(HOTLINE_EVENTS))
    >>> first = line.call("russia", "strike")
    >>> second = line.call("coalition", "zone")
    >>> env.run()
    >>> first.value, second.value  # 60 s set-up + 120 s handling each, one after the other
    (180.0, 360.0)
    >>> line.waits_s  # request to answer
    [60.0, 240.0]
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: HotlineSpec,
        rng: np.random.Generator,
        recorder: Recorder,
        name: str = "mou",
    ) -> None:
        self.env = env
        self.spec = spec
        self.name = name
        self.operators = simpy.Resource(env, capacity=spec.operators)
        self._rng = rng
        self._outage_rng = rng.spawn(1)[0]
        self._recorder = recorder
        self._answer_delay_s = (spec.setup_min + spec.translation_min) * MIN
        self._mu, self._sigma = lognormal_params(spec.handling_min * MIN, spec.handling_cv)
        self._calls = 0
        self._answered = 0
        self._abandoned = 0
        self._ended = 0
        self._waits_s: list[float] = []
        self._up = True
        self._outages = 0
        self._down_since = 0.0
        self._down_s = 0.0
        self._went_down = env.event()
        self._restored = env.event()
        self._outages_on = spec.mtbo_h > 0 and spec.outage_mean_min > 0
        if self._outages_on:
            env.process(self._outage_cycle())

    # -- the public story -------------------------------------------------------------------

    def call(
        self,
        side: str,
        topic: str,
        aircraft_id: str = "",
        other_id: str = "",
        deadline_s: float | None = None,
    ) -> simpy.Process:
        """Place a call from ``side`` about ``topic``.

        Parameters
        ----------
        side : str
            The caller's side (``"coalition"``, ``"russia"``, ...).
        topic : str
            What the call is about, e.g. ``"strike notification"``.
        aircraft_id, other_id : str, optional
            Aircraft the call concerns, copied to the events.
        deadline_s : float, optional
            Absolute simulation time by which the call must be answered, or it is abandoned.

        Returns
        -------
        simpy.Process
            Its value is the time (s) the message has been passed on (end of the call), or
            ``None`` if the call was abandoned.

        Examples
        --------
        >>> env = simpy.Environment()
        >>> spec = HotlineSpec(enabled=True, setup_min=2.0, handling_cv=0.0)
        >>> line = Hotline(env, spec, np.random.default_rng(0), Recorder(HOTLINE_EVENTS))
        >>> busy, late = line.call("coalition", "zone"), line.call("russia", "strike",
        ...                                                        deadline_s=100.0)
        >>> env.run()
        >>> busy.value, late.value, line.abandoned
        (180.0, None, 1)
        """
        self._calls += 1
        key = f"{self.name}-{self._calls}"
        handling_s = self._draw_handling_s()
        return self.env.process(
            self._call(key, side, topic, aircraft_id, other_id, deadline_s, handling_s)
        )

    def relay(self) -> simpy.Event:
        """The delay from the operations centre to the aircraft (via AWACS or ground control).

        Returns
        -------
        simpy.Event
            A timeout of ``relay_min`` minutes.

        Examples
        --------
        >>> env = simpy.Environment()
        >>> spec = HotlineSpec(enabled=True, relay_min=1.5)
        >>> line = Hotline(env, spec, np.random.default_rng(0), Recorder(HOTLINE_EVENTS))
        >>> env.run(until=line.relay()); env.now
        90.0
        """
        return self.env.timeout(self.spec.relay_min * MIN)

    # -- state and statistics ---------------------------------------------------------------

    @property
    def up(self) -> bool:
        """Whether the line is working now."""
        return self._up

    @property
    def busy(self) -> int:
        """Channels in use now (calls being set up or handled)."""
        return self.operators.count

    @property
    def queue_length(self) -> int:
        """Calls waiting for a free channel now."""
        return len(self.operators.queue)

    @property
    def calls(self) -> int:
        """Calls placed so far."""
        return self._calls

    @property
    def answered(self) -> int:
        """Calls answered so far."""
        return self._answered

    @property
    def abandoned(self) -> int:
        """Calls abandoned (deadline passed before the answer) so far."""
        return self._abandoned

    @property
    def in_progress(self) -> int:
        """Calls placed but not yet ended (waiting, being set up or handled)."""
        return self._calls - self._ended

    @property
    def waits_s(self) -> list[float]:
        """Request-to-answer times (s) of the answered calls, in order of answer."""
        return list(self._waits_s)

    @property
    def outages(self) -> int:
        """Outages begun so far."""
        return self._outages

    @property
    def down_s(self) -> float:
        """Total time (s) the line has been down so far, including a current outage."""
        current = 0.0 if self._up else self.env.now - self._down_since
        return self._down_s + current

    # -- processes --------------------------------------------------------------------------

    def _draw_handling_s(self) -> float:
        z = float(self._rng.standard_normal())
        if self._sigma == 0.0:
            return self.spec.handling_min * MIN
        return math.exp(self._mu + self._sigma * z)

    def _call(
        self,
        key: str,
        side: str,
        topic: str,
        aircraft_id: str,
        other_id: str,
        deadline_s: float | None,
        handling_s: float,
    ) -> Generator[simpy.Event, object, float | None]:
        requested_s = self.env.now
        self._emit(
            "hotline_request", side, aircraft_id, other_id, CallRequest(key, topic, deadline_s)
        )
        with self.operators.request() as channel:
            stage = yield from self._connect(channel, deadline_s)
            if stage:
                yield from self._hang_up(deadline_s)
                self._abandoned += 1
                self._ended += 1
                end = CallEnd(key, "abandoned", stage=stage)
                self._emit("hotline_end", side, aircraft_id, other_id, end)
                return None
            wait_s = self.env.now - requested_s
            self._answered += 1
            self._waits_s.append(wait_s)
            self._emit("hotline_answer", side, aircraft_id, other_id, CallAnswer(key, wait_s))
            yield from self._handle(handling_s)
        self._ended += 1
        end = CallEnd(key, "passed", handling_s=handling_s)
        self._emit("hotline_end", side, aircraft_id, other_id, end)
        return self.env.now

    def _connect(
        self, channel: simpy.Event, deadline_s: float | None
    ) -> Generator[simpy.Event, object, str]:
        """Get a channel, a working line and a set-up call; '' when answered, else the stage."""
        if not (yield from self._within(channel, deadline_s)):
            return "queue"
        while True:
            while not self._up:
                if not (yield from self._within(self._restored, deadline_s)):
                    return "line"
            if deadline_s is not None and self.env.now + self._answer_delay_s > deadline_s:
                return "setup"
            outages_before = self._outages
            yield self.env.timeout(self._answer_delay_s)
            if self._up and self._outages == outages_before:
                return ""

    def _within(
        self, event: simpy.Event, deadline_s: float | None
    ) -> Generator[simpy.Event, object, bool]:
        """Wait for ``event`` but not past the deadline; whether the event came in time."""
        if deadline_s is None:
            yield event
            return True
        yield event | self.env.timeout(max(deadline_s - self.env.now, 0.0))
        return event.triggered

    def _hang_up(self, deadline_s: float | None) -> Generator[simpy.Event, object, None]:
        """The caller gives up at the deadline (at once if it has passed)."""
        assert deadline_s is not None
        if self.env.now < deadline_s:
            yield self.env.timeout(deadline_s - self.env.now)

    def _handle(self, handling_s: float) -> Generator[simpy.Event, object, None]:
        """Talk for ``handling_s`` seconds of working line, pausing through outages."""
        if not self._outages_on:
            yield self.env.timeout(handling_s)
            return
        remaining_s = handling_s
        while True:
            while not self._up:
                yield self._restored
            finish_s = self.env.now + remaining_s
            yield self.env.timeout(remaining_s) | self._went_down
            if self.env.now >= finish_s:
                return
            remaining_s = finish_s - self.env.now

    def _outage_cycle(self) -> Generator[simpy.Event, object, None]:
        """Alternate exponential up-times and outages, for ever."""
        up_mean_s = self.spec.mtbo_h * H
        down_mean_s = self.spec.outage_mean_min * MIN
        while True:
            yield self.env.timeout(float(self._outage_rng.exponential(up_mean_s)))
            down_s = float(self._outage_rng.exponential(down_mean_s))
            self._up = False
            self._outages += 1
            self._down_since = self.env.now
            self._emit("hotline_outage", "both", "", "", Outage(self.name, self._outages))
            went_down, self._went_down = self._went_down, self.env.event()
            went_down.succeed()
            yield self.env.timeout(down_s)
            self._up = True
            self._down_s += self.env.now - self._down_since
            restored_info = Restored(self.name, self._outages, down_s)
            self._emit("hotline_restored", "both", "", "", restored_info)
            restored, self._restored = self._restored, self.env.event()
            restored.succeed()

    def _emit(self, kind: str, side: str, aircraft_id: str, other_id: str, info: EventInfo) -> None:
        self._recorder.emit(self.env.now, kind, side, aircraft_id, other_id, info)


# --------------------------------------------------------------------------- the mechanisms


def install_line(name: str) -> Callable[[Run, HotlineSpec], None]:
    """The installer of the hotline called ``name``: offered to other mechanisms as a service."""

    def install(run: Run, spec: HotlineSpec) -> None:
        run.services[name] = Hotline(run.env, spec, run.streams[name], run.recorder, name)

    return install


def hotline_waits_s(result: RunResult) -> list[float]:
    """Request-to-answer times of every answered call, from the event log."""
    requested: dict[str, float] = {}
    waits = []
    for e in result.events:
        if isinstance(e.info, CallRequest):
            requested[e.info.call] = e.t_s
        elif isinstance(e.info, CallAnswer) and e.info.call in requested:
            waits.append(e.t_s - requested.pop(e.info.call))
    return waits


def comms_figures(result: RunResult) -> dict[str, float]:
    """Hotline calls placed (all lines) and their waits, mean and 95th percentile (s)."""
    waits = hotline_waits_s(result)
    return {
        "hotline_calls": sum(isinstance(e.info, CallRequest) for e in result.events),
        "hotline_wait_mean_s": float(np.mean(waits)) if waits else 0.0,
        "hotline_wait_p95_s": float(np.percentile(waits, 95)) if waits else 0.0,
    }


HOTLINE = Mechanism(
    name="hotline",
    spec=HotlineSpec,
    install=install_line("hotline"),
    doc="the MOU's ground hotline between the two commands (queueing, handling, outages)",
    events=HOTLINE_EVENTS,
    comms=comms_figures,
    table=(
        TableRow("hotline calls", lambda s: f"{s['comms']['hotline_calls']}"),
        TableRow(
            "hotline wait, mean / 95th pct",
            lambda s: (
                f"{s['comms']['hotline_wait_mean_s'] / 60:.1f} / "
                f"{s['comms']['hotline_wait_p95_s'] / 60:.1f} min"
            ),
        ),
    ),
)

CEASEFIRE_HOTLINE = Mechanism(
    name="ceasefire_hotline",
    spec=HotlineSpec,
    install=install_line("ceasefire_hotline"),
    doc="the February 2016 Washington-Moscow ceasefire hotline (calls counted with the MOU's)",
    events=HOTLINE_EVENTS,
)
