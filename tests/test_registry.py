"""The registry of mechanisms: a new mechanism reaches every output from its own file alone;
streams keyed by name keep mechanisms' draws apart; the imports have no circles."""

from __future__ import annotations

import ast
import json
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest
import simpy
from pydantic import Field
from typer.testing import CliRunner

from sim.cli import app
from sim.engine import simulate
from sim.events import EventInfo, EventKind
from sim.output import read_run_dir
from sim.protocol import registry
from sim.protocol.mechanism import FlightTally, Mechanism, TableRow
from sim.protocol.spec import MechanismSpec
from sim.records import RunResult
from sim.scenario import load
from sim.state import Run

SIM = Path(__file__).resolve().parent.parent / "sim"


# --------------------------------------------------------------------------- a made-up mechanism


class FlareDrillSpec(MechanismSpec):
    """Each side fires a practice flare every ``every_min`` minutes (a made-up mechanism)."""

    every_min: float = Field(60.0, gt=0)


@dataclass(frozen=True, slots=True)
class Flare(EventInfo):
    number: int
    colour: str


def _drill(run: Run, spec: FlareDrillSpec) -> Generator[simpy.Event, object, None]:
    n = 0
    while True:
        yield run.env.timeout(spec.every_min * 60.0)
        n += 1
        colour = "green" if run.streams["flare_drill"].uniform() < 0.5 else "red"
        run.emit("flare_drill", "coalition", "US-F16", info=Flare(n, colour))


def _install(run: Run, spec: FlareDrillSpec) -> None:
    run.env.process(_drill(run, spec))


def _figures(result: RunResult) -> dict[str, float]:
    return {"flares_fired": sum(isinstance(e.info, Flare) for e in result.events)}


FLARE_DRILL = Mechanism(
    name="flare_drill",
    spec=FlareDrillSpec,
    install=_install,
    doc="a made-up practice-flare drill",
    after=("hotline",),
    events=(
        EventKind(
            "flare_drill",
            Flare,
            "a practice flare",
            lambda e: f"{e.info.colour} practice flare",  # type: ignore[attr-defined]
        ),
    ),
    figures=_figures,
    table=(TableRow("practice flares", lambda s: f"{s['protocol_effects']['flares_fired']}"),),
    tallies=(FlightTally("flares", "flare_drill"),),
)


def test_a_new_mechanism_reaches_every_output_from_its_own_file(tmp_path: Path) -> None:
    with registry.registered(FLARE_DRILL):
        out = tmp_path / "run"
        res = CliRunner().invoke(
            app,
            [
                "run",
                "scenarios/two-jets.toml",
                "--set",
                "protocol.flare_drill.enabled=true",
                "--set",
                "protocol.flare_drill.every_min=10",
                "--out",
                str(out),
            ],
        )
        assert res.exit_code == 0, res.output
        # the run table
        assert "practice flares" in res.output
        # events.csv, with detail written from the typed fields
        events = (out / "events.csv").read_text().splitlines()
        flares = [row for row in events if ",flare_drill," in row]
        assert flares and "number=1;colour=" in flares[0]
        # summary.json
        summary = json.loads((out / "summary.json").read_text())
        assert summary["protocol_effects"]["flares_fired"] == len(flares)
        assert summary["comms"]["flare_drill"] == len(flares)
        # flights.csv has the mechanism's tally
        header, *rows = (out / "flights.csv").read_text().splitlines()
        column = header.split(",").index("flares")
        f16 = next(r for r in rows if r.startswith("US-F16,"))
        assert f16.split(",")[column] == str(len(flares))
        # the replay's ticker
        from sim.viz.events import ticker_entries

        scenario, seed = read_run_dir(out)
        result = simulate(scenario, seed)
        lines = [text for _, text, _ in ticker_entries(result)]
        assert any("practice flare US-F16" in line for line in lines), lines
    # unregistered again: the table is unknown, as any misspelt table
    res = CliRunner().invoke(
        app, ["run", "scenarios/two-jets.toml", "--set", "protocol.flare_drill.enabled=true"]
    )
    assert res.exit_code == 2
    assert "flare_drill" in res.output


def test_registry_refuses_clashes_and_circles() -> None:
    with pytest.raises(ValueError, match="already exists"):
        registry.register(Mechanism("hotline", FlareDrillSpec, _install, "clash"))
    clash = EventKind("reroute", Flare, "a second kind under a taken name")
    with pytest.raises(ValueError, match="reroute"):
        registry.register(Mechanism("other", FlareDrillSpec, _install, "x", events=(clash,)))
    a = Mechanism("aa", FlareDrillSpec, _install, "a", after=("bb",))
    b = Mechanism("bb", FlareDrillSpec, _install, "b", after=("aa",))
    with registry.registered(a), registry.registered(b), pytest.raises(ValueError, match="circle"):
        registry.mechanisms()


def test_install_order_follows_after() -> None:
    order = [m.name for m in registry.mechanisms()]
    for m in registry.mechanisms():
        for before in m.after:
            assert order.index(before) < order.index(m.name), (before, m.name)
    assert order.index("deconfliction_line") < order.index("keep_out")


def test_every_event_kind_has_a_documented_info_type() -> None:
    for kind in registry.event_kinds().values():
        assert kind.doc and issubclass(kind.info, EventInfo), kind.name
        assert kind.ticker is None or isinstance(kind.ticker, str) or callable(kind.ticker)


# --------------------------------------------------------------------------- streams


def _complied(scenario: str, seed: int, **sets: object) -> set[tuple[str, str]]:
    r = simulate(load(scenario, sets), seed)
    return {
        (e.aircraft_id, e.info.key)  # type: ignore[attr-defined]
        for e in r.events
        if e.kind in ("reroute", "hold") and e.info.by == "notification"  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_switching_the_controllers_off_changes_no_compliance(seed: int) -> None:
    """Which flights comply with strike notices depends on notification's own stream only."""
    on = _complied("scenarios/mou-2015.toml", seed)
    off = _complied("scenarios/mou-2015.toml", seed, **{"protocol.separation.enabled": False})
    assert on and on == off


def test_traffic_and_compliance_do_not_move_with_the_radio() -> None:
    a = simulate(load("scenarios/mou-2015.toml"), 3)
    b = simulate(load("scenarios/mou-2015.toml", {"protocol.radio.enabled": False}), 3)
    ra = [e for e in a.events if e.kind == "notification_sent"]
    rb = [e for e in b.events if e.kind == "notification_sent"]
    assert [(e.t_s, e.info) for e in ra] == [(e.t_s, e.info) for e in rb]


# --------------------------------------------------------------------------- imports


def _modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(SIM.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in SIM.rglob("*.py")
    }


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every ``sim`` module a file imports, anywhere in it (type-checking imports included).

    ``from sim import geo`` imports the module ``sim.geo``; the parent packages that Python
    loads on the way are not counted (every import of a submodule would pass through them).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            base = node.module or ""
            subs = {f"{base}.{a.name}" for a in node.names} & modules.keys()
            found |= subs or {base}
    return found & modules.keys()


def _module_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, t) for t in _imports(path, modules) if t != name)
    return graph


def test_no_import_circles() -> None:
    """No circle of imports at all: the layers stand on each other in one direction."""
    cycles = list(nx.simple_cycles(_module_graph()))
    assert not cycles, cycles[:5]


def test_the_engine_and_the_mechanisms_stay_below_the_readers() -> None:
    """Nothing the engine wires imports cli, experiments, viz or metrics."""
    graph = _module_graph()
    below = ["sim.engine", "sim.state", "sim.traffic", "sim.routing", "sim.protocol.registry"]
    above = ("sim.cli", "sim.experiments", "sim.viz", "sim.metrics")
    for name in below:
        reach = nx.descendants(graph, name)
        assert not [m for m in reach if m.startswith(above)], name


def test_no_module_over_600_lines() -> None:
    long = {p.name: n for p in SIM.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long
