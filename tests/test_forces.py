"""Forces by date, and every problem of a scenario file in one go."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.checks import reference_problems, run_dates
from sim.cli import app
from sim.errors import InputError
from sim.scenario import load

SCENARIOS = sorted(Path("scenarios").glob("*.toml"))

CARRIER = """
name = "carrier"
protocol = "none"
start = "{start}"
[[traffic.sorties]]
side = "coalition"
base = "East Med"
type = "Rafale M"
mission = "strike"
per_day = 6
targets = ["Raqqa"]
"""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_scenario_flies_a_force_outside_its_dates(path: Path) -> None:
    raw = tomllib.loads(path.read_text("utf-8"))
    assert run_dates(raw) is not None  # else the date checks would be passed over
    assert reference_problems(raw, path) == []
    assert load(path).name == raw["name"]  # and loading raises nothing either


def test_the_carrier_flies_from_23_november_2015(tmp_path: Path) -> None:
    early = tmp_path / "early.toml"
    early.write_text(CARRIER.format(start="2015-11-17T00:00:00Z"))
    with pytest.raises(InputError) as err:
        load(early)
    fields = [p.split(": ")[1] for p in err.value.problems]
    assert fields == ["traffic.sorties[0].base", "traffic.sorties[0].type"]
    assert "2015-11-23" in err.value.problems[0]
    late = tmp_path / "late.toml"
    late.write_text(CARRIER.format(start="2015-11-24T00:00:00Z"))
    assert load(late).name == "carrier"


def test_su35s_not_before_february_2016(tmp_path: Path) -> None:
    text = CARRIER.format(start="2016-01-20T00:00:00Z").replace(
        'side = "coalition"\nbase = "East Med"\ntype = "Rafale M"',
        'side = "russia"\nbase = "Hmeymim"\ntype = "Su-35S"',
    )
    p = tmp_path / "su35.toml"
    p.write_text(text)
    with pytest.raises(InputError, match=r"traffic.sorties\[0\].type: Su-35S .* from 2016-02-01"):
        load(p)
    p.write_text(text.replace("2016-01-20", "2016-02-02"))
    load(p)


BAD = """
name = "bad"
protocol = "mou-2015"
start = "2015-11-17T00:00:00Z"
[[traffic.sorties]]
side = "russia"
base = "Hmeymim"
type = "Su-34"
mission = "strike"
per_dya = 10
targets = ["Idlib"]
[[traffic.sorties]]
side = "russia"
base = "Hmeymim"
type = "Su-34"
mission = "strike"
per_day = 10
targets = ["Idlbi"]
[[flights]]
id = "X"
side = "coalition"
type = "F-16Z"
route = [{ place = "Raqqa", alt_ft = 20000 }, { place = "Tabqa", alt_ft = 20000 }]
"""


def test_validate_reports_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    """A misspelt key no longer hides an unknown place and an unknown type further down."""
    p = tmp_path / "bad.toml"
    p.write_text(BAD)
    res = CliRunner().invoke(app, ["validate", str(p)])
    assert res.exit_code == 2
    out = res.output
    assert "traffic.sorties[0].per_dya: unknown key (did you mean 'per_day'?)" in out
    assert "traffic.sorties[1].targets[0]: unknown place 'Idlbi'; did you mean 'Idlib'?" in out
    assert "flights[0].type: unknown aircraft type 'F-16Z'" in out
    assert "Traceback" not in out


def test_protocol_names_get_a_did_you_mean(tmp_path: Path) -> None:
    p = tmp_path / "x.toml"
    p.write_text(BAD.replace('"mou-2015"', '"mou2015"'))
    with pytest.raises(InputError) as err:
        load(p)
    assert any("did you mean 'mou-2015'?" in m for m in err.value.problems)
    assert any("per_dya" in m for m in err.value.problems)  # and the rest still reported


def test_refuel_needs_a_tanker_and_a_type_that_refuels(tmp_path: Path) -> None:
    text = CARRIER.format(start="2015-11-24T00:00:00Z") + "refuel = true\n"
    p = tmp_path / "r.toml"
    p.write_text(text)
    with pytest.raises(InputError, match=r"refuel: no tanker stream"):
        load(p)
    p.write_text(text.replace('type = "Rafale M"', 'type = "MQ-9"').replace("East Med", "Incirlik"))
    with pytest.raises(InputError, match=r"MQ-9 does not refuel in the air"):
        load(p)
