"""The hotline as a queue: every call released, FIFO waits, M/M/1 waits, outages, determinism."""

from __future__ import annotations

import doctest
import math
from collections import defaultdict

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.protocol.hotline
from sim.events import Event
from sim.protocol.hotline import (
    HOTLINE_EVENTS,
    CallEnd,
    CallRequest,
    Hotline,
    HotlineSpec,
    lognormal_params,
)
from sim.records import Recorder

CALL_KINDS = ("hotline_request", "hotline_answer", "hotline_end")


def _spec(**kw: float) -> HotlineSpec:
    return HotlineSpec(enabled=True, **kw)


def _end(e: Event) -> CallEnd:
    assert isinstance(e.info, CallEnd)
    return e.info


def _run(
    spec: HotlineSpec,
    arrivals_s: list[float],
    seed: int = 0,
    deadlines_s: list[float | None] | None = None,
):
    """Place calls at the given times; run until every call has ended."""
    env = simpy.Environment()
    rec = Recorder(HOTLINE_EVENTS)
    line = Hotline(env, spec, np.random.default_rng(seed), rec)
    procs: list[simpy.Process] = []
    deadlines_s = deadlines_s or [None] * len(arrivals_s)

    def caller():
        for i, (t, dl) in enumerate(zip(arrivals_s, deadlines_s, strict=True)):
            yield env.timeout(max(t - env.now, 0.0))
            side = "russia" if i % 2 else "coalition"
            procs.append(line.call(side, "strike", aircraft_id=f"A{i}", deadline_s=dl))

    env.run(until=env.process(caller()))
    env.run(until=env.all_of(procs))
    return line, rec.events, procs


def _calls(events: list[Event]) -> dict[str, dict[str, list[Event]]]:
    by_key: dict[str, dict[str, list[Event]]] = defaultdict(lambda: defaultdict(list))
    for e in events:
        if e.kind in CALL_KINDS:
            call = e.info.call  # type: ignore[attr-defined]
            assert call.startswith("mou-")
            by_key[call][e.kind].append(e)
    return by_key


def _outage_intervals(events: list[Event]) -> list[tuple[float, float]]:
    starts = [e.t_s for e in events if e.kind == "hotline_outage"]
    ends = [e.t_s for e in events if e.kind == "hotline_restored"]
    ends += [math.inf] * (len(starts) - len(ends))
    return list(zip(starts, ends, strict=True))


def _overlap(intervals: list[tuple[float, float]], a: float, b: float) -> float:
    return sum(max(0.0, min(b, hi) - max(a, lo)) for lo, hi in intervals)


arrivals = st.lists(st.floats(0, 4 * 3600, allow_nan=False), max_size=25).map(sorted)


@settings(max_examples=120, deadline=None)
@given(
    arrivals_s=arrivals,
    operators=st.integers(1, 3),
    setup=st.floats(0, 3),
    translation=st.floats(0, 3),
    handling=st.floats(0.1, 8),
    cv=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    mtbo_h=st.sampled_from([0.0, 0.2, 1.0]),
    outage_min=st.sampled_from([0.0, 5.0, 30.0]),
    patience=st.lists(st.one_of(st.none(), st.floats(0, 3600)), min_size=25, max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_call_has_one_end_and_is_released(
    arrivals_s, operators, setup, translation, handling, cv, mtbo_h, outage_min, patience, seed
) -> None:
    spec = _spec(
        operators=operators,
        setup_min=setup,
        translation_min=translation,
        handling_min=handling,
        handling_cv=cv,
        mtbo_h=mtbo_h,
        outage_mean_min=outage_min,
    )
    deadlines = [None if p is None else t + p for t, p in zip(arrivals_s, patience, strict=False)]
    line, events, procs = _run(spec, arrivals_s, seed, deadlines)
    calls = _calls(events)
    outages = _outage_intervals(events)

    assert len(calls) == len(arrivals_s) == line.calls
    assert line.busy == line.queue_length == line.in_progress == 0
    assert line.answered + line.abandoned == len(arrivals_s)
    for i, proc in enumerate(procs):
        ev = calls[f"mou-{i + 1}"]
        (req,), (end,) = ev["hotline_request"], ev["hotline_end"]
        result = _end(end).result
        assert req.side == end.side and req.aircraft_id == end.aircraft_id == f"A{i}"
        if result == "abandoned":
            assert ev["hotline_answer"] == [] and proc.value is None
            # the wait may be re-timed after an outage: now + (deadline - now) rounds
            assert end.t_s == pytest.approx(max(req.t_s, deadlines[i]), rel=1e-12, abs=1e-9)
            continue
        (ans,) = ev["hotline_answer"]
        assert req.t_s <= ans.t_s <= end.t_s == proc.value
        assert deadlines[i] is None or ans.t_s <= deadlines[i]
        # no answer while the line is down
        assert not any(lo < ans.t_s < hi for lo, hi in outages)
        # handling pauses through outages and resumes: talk time + time down = end - answer
        talked = end.t_s - ans.t_s - _overlap(outages, ans.t_s, end.t_s)
        assert talked == pytest.approx(_end(end).handling_s, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    arrivals_s=arrivals,
    setup=st.floats(0, 10),
    translation=st.floats(0, 10),
    cv=st.sampled_from([0.0, 1.0]),
)
def test_with_ample_operators_nobody_waits(arrivals_s, setup, translation, cv) -> None:
    spec = _spec(
        operators=max(len(arrivals_s), 1),
        setup_min=setup,
        translation_min=translation,
        handling_min=30.0,
        handling_cv=cv,
    )
    _, events, _ = _run(spec, arrivals_s)
    for ev in _calls(events).values():
        (req,), (ans,) = ev["hotline_request"], ev["hotline_answer"]
        assert ans.t_s == req.t_s + (setup + translation) * 60.0


@settings(max_examples=60, deadline=None)
@given(
    arrivals_s=arrivals,
    setup=st.floats(0, 5),
    translation=st.floats(0, 5),
    handling=st.floats(0.1, 20),
)
def test_single_operator_waits_match_a_hand_computed_fifo_queue(
    arrivals_s, setup, translation, handling
) -> None:
    spec = _spec(
        operators=1,
        setup_min=setup,
        translation_min=translation,
        handling_min=handling,
        handling_cv=0.0,
    )
    _, events, procs = _run(spec, arrivals_s)
    calls = _calls(events)
    free_s = -math.inf
    for i, t in enumerate(arrivals_s):
        start = max(t, free_s)
        answer = start + (setup + translation) * 60.0
        free_s = answer + handling * 60.0
        ev = calls[f"mou-{i + 1}"]
        assert ev["hotline_answer"][0].t_s == pytest.approx(answer, abs=1e-6)
        assert procs[i].value == pytest.approx(free_s, abs=1e-6)


def test_hand_computed_queue_example() -> None:
    spec = _spec(operators=1, setup_min=1.0, handling_min=4.0, handling_cv=0.0)
    line, _, procs = _run(spec, [0.0, 60.0, 120.0, 600.0])
    assert line.waits_s == [60.0, 300.0, 540.0, 360.0]
    assert [p.value for p in procs] == [300.0, 600.0, 900.0, 1200.0]


def test_mm1_mean_wait_matches_the_analytic_value() -> None:
    """Poisson arrivals, one operator, cv = 1: Pollaczek-Khinchine gives Wq = rho / (mu - lambda).

    The lognormal with cv = 1 has the same first two moments as the exponential, so the mean
    wait is the M/M/1 one. Batch means give the run's standard error.
    """
    mean_s, rho, n = 60.0, 0.5, 60_000
    lam, mu = rho / mean_s, 1.0 / mean_s
    arrival_rng = np.random.default_rng(2024)
    arrivals_s = list(np.cumsum(arrival_rng.exponential(1 / lam, n)))
    line, _, _ = _run(_spec(operators=1, handling_min=1.0, handling_cv=1.0), arrivals_s, seed=7)
    waits = np.array(line.waits_s[2000:])
    batches = waits[: len(waits) // 50 * 50].reshape(50, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(len(batches))
    analytic = rho / (mu - lam)
    assert abs(waits.mean() - analytic) < 4 * se
    assert waits.mean() == pytest.approx(analytic, rel=0.1)


def test_fraction_of_time_down() -> None:
    env = simpy.Environment()
    rec = Recorder(HOTLINE_EVENTS)
    line = Hotline(env, _spec(mtbo_h=1.0, outage_mean_min=10.0), np.random.default_rng(3), rec)
    horizon_s = 20_000 * 3600.0
    env.run(until=horizon_s)
    expected = 10.0 / (60.0 + 10.0)
    assert line.down_s / horizon_s == pytest.approx(expected, rel=0.05)
    from_events = sum(min(hi, horizon_s) - lo for lo, hi in _outage_intervals(rec.events))
    assert from_events == pytest.approx(line.down_s, rel=1e-9)
    assert line.outages == pytest.approx(horizon_s / 4200.0, rel=0.05)


def test_no_call_is_answered_during_an_outage() -> None:
    spec = _spec(
        operators=2,
        setup_min=0.5,
        translation_min=0.5,
        handling_min=3.0,
        mtbo_h=0.5,
        outage_mean_min=20.0,
    )
    arrivals_s = list(np.cumsum(np.random.default_rng(5).exponential(120.0, 2000)))
    line, events, _ = _run(spec, arrivals_s, seed=11)
    outages = _outage_intervals(events)
    answers = [e.t_s for e in events if e.kind == "hotline_answer"]
    assert line.outages > 50 and len(answers) == 2000
    assert not any(lo < t < hi for t in answers for lo, hi in outages)


def test_same_seed_gives_the_same_events_and_another_seed_does_not() -> None:
    spec = _spec(
        operators=2,
        setup_min=1.0,
        handling_min=5.0,
        handling_cv=0.8,
        mtbo_h=1.0,
        outage_mean_min=15.0,
    )
    arrivals_s = list(np.cumsum(np.random.default_rng(9).exponential(300.0, 300)))
    deadlines = [t + 900.0 if i % 3 == 0 else None for i, t in enumerate(arrivals_s)]
    a = _run(spec, arrivals_s, seed=1, deadlines_s=deadlines)[1]
    b = _run(spec, arrivals_s, seed=1, deadlines_s=deadlines)[1]
    c = _run(spec, arrivals_s, seed=2, deadlines_s=deadlines)[1]
    assert a == b
    assert a != c


def test_outages_do_not_change_the_handling_draws() -> None:
    arrivals_s = [i * 600.0 for i in range(50)]
    base = _spec(handling_min=2.0, handling_cv=1.0)
    flaky = _spec(handling_min=2.0, handling_cv=1.0, mtbo_h=0.5, outage_mean_min=10.0)

    def handling(spec: HotlineSpec) -> list[float | None]:
        events = _run(spec, arrivals_s, seed=4)[1]
        return [_end(e).handling_s for e in events if e.kind == "hotline_end"]

    assert sorted(handling(base)) == sorted(handling(flaky))


def test_handling_times_have_the_requested_mean_and_cv() -> None:
    line, events, _ = _run(
        _spec(operators=1000, handling_min=3.0, handling_cv=0.7), [0.0] * 1000, seed=8
    )
    h = np.array([_end(e).handling_s for e in events if e.kind == "hotline_end"], dtype=float)
    assert h.mean() == pytest.approx(180.0, rel=0.06)
    assert h.std() / h.mean() == pytest.approx(0.7, rel=0.15)
    assert line.waits_s == [0.0] * 1000


def test_deadlines_abandon_calls_that_cannot_be_answered_in_time() -> None:
    spec = _spec(operators=1, setup_min=2.0, handling_min=10.0, handling_cv=0.0)
    # call 1 holds the line until 720 s; call 2 gives up at 300 s in the queue; call 3 gets the
    # line at 720 s but its set-up would end at 840 s > 800 s; call 4's deadline has passed.
    line, events, procs = _run(spec, [0.0, 10.0, 20.0, 30.0], deadlines_s=[None, 300.0, 800.0, 0.0])
    assert [p.value for p in procs] == [720.0, None, None, None]
    ends = [(e.t_s, _end(e).result, _end(e).stage) for e in events if e.kind == "hotline_end"]
    assert sorted(ends) == [
        (30.0, "abandoned", "queue"),
        (300.0, "abandoned", "queue"),
        (720.0, "passed", None),
        (800.0, "abandoned", "setup"),
    ]
    assert line.abandoned == 3 and line.answered == 1


def test_request_detail_and_relay() -> None:
    env = simpy.Environment()
    rec = Recorder(HOTLINE_EVENTS)
    line = Hotline(env, _spec(relay_min=2.0), np.random.default_rng(0), rec, name="ceasefire")
    line.call("russia", "strike", aircraft_id="Su-34-1", deadline_s=50.0)
    env.run(until=line.relay())
    assert env.now == 120.0
    first = rec.events[0]
    assert (first.kind, first.side, first.aircraft_id) == ("hotline_request", "russia", "Su-34-1")
    assert first.info == CallRequest("ceasefire-1", "strike", 50.0)
    assert first.detail == "call=ceasefire-1;topic=strike;deadline_s=50"
    with pytest.raises(TypeError, match="CallRequest"):
        rec.emit(0.0, "hotline_request", "russia", info=CallEnd("x", "passed"))
    with pytest.raises(ValueError, match="unknown event kind"):
        rec.emit(0.0, "hotline_requets", "russia")


def test_lognormal_params_round_trip() -> None:
    for mean, cv in [(1.0, 0.0), (2.5, 0.3), (60.0, 1.0), (10.0, 3.0)]:
        m, s = lognormal_params(mean, cv)
        assert math.exp(m + s * s / 2) == pytest.approx(mean)
        assert math.sqrt(math.expm1(s * s)) == pytest.approx(cv)


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(sim.protocol.hotline, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
