"""Bad input: one line naming the file and field, exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.scenario import load, parse_value

GOOD = Path("scenarios/mou-2015.toml")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    return p


def _mutate(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = GOOD.read_text()
    assert old in text, old
    p = tmp_path / "scenarios" / "bad.toml"
    p.parent.mkdir()
    p.write_text(text.replace(old, new, count))
    return p


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


CASES = {
    "misspelt key": (
        "per_day = 32              # ~ ~3 sorties a day for 11-12",
        "per_dya = 32              # ~ ~3 sorties a day for 11-12",
        "traffic.sorties[0].per_dya: unknown key (did you mean 'per_day'?)",
    ),
    "negative rate": (
        "per_day = 32              # ~ ~3 sorties a day for 11-12",
        "per_day = -3              # ~ ~3 sorties a day for 11-12",
        "traffic.sorties[0].per_day: must be >= 0, got -3",
    ),
    "unknown place": (
        'base = "Mozdok"',
        'base = "Mozdokk"',
        "traffic.sorties[6].base: unknown place 'Mozdokk'",
    ),
    "unknown type": ('type = "Su-24M"', 'type = "Su-42M"', "traffic.sorties[0].type:"),
    "syntax error": ("[traffic]\nscale = 1.0", "[traffic\nscale = 1.0", "TOML syntax error"),
    "bad protocol value": (
        'protocol = "mou-2015"',
        'protocol = "nonesuch"',
        "protocol: no protocol file",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    old, new, expected = CASES[case]
    path = _mutate(tmp_path, old, new)
    res = _run("run", str(path))
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert str(path) in lines[0] and expected in lines[0], lines[0]
    assert "Traceback" not in res.output


def test_missing_file(tmp_path: Path) -> None:
    res = _run("run", str(tmp_path / "nope.toml"))
    assert res.exit_code == 2
    assert "nope.toml: file not found" in res.output


def test_syntax_error_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, 'name = "x"\nprotocol = "none"\nduration_h = = 3\n')
    with pytest.raises(InputError) as err:
        load(p)
    assert "line 3" in str(err.value)


def test_validate_reports_every_file(tmp_path: Path) -> None:
    bad = _mutate(tmp_path, 'type = "Su-24M"', 'type = "Su-42M"')
    res = _run("validate", str(GOOD), "scenarios/two-jets.toml", str(bad))
    assert res.exit_code == 2
    assert "ok scenarios/two-jets.toml" in res.output.replace("\n", " ")
    assert "Su-42M" in res.output


def test_bad_set_path_and_value(tmp_path: Path) -> None:
    res = _run("run", "scenarios/two-jets.toml", "--set", "traffic.scael=2")
    assert res.exit_code == 2 and "traffic.scael: unknown key" in res.output
    res = _run("run", "scenarios/two-jets.toml", "--set", "protocol.hotline.operators=0")
    assert res.exit_code == 2 and "protocol.hotline.operators: must be >= 1, got 0" in res.output


def test_overrides_reach_protocol_and_lists() -> None:
    s = load(
        GOOD,
        {"protocol.hotline.operators": 3, "traffic.sorties[1].per_day": 5.5, "traffic.scale": 2},
    )
    assert s.protocol.hotline.operators == 3
    assert s.traffic.sorties[1].per_day == 5.5 and s.traffic.scale == 2
    assert s.with_overrides({"traffic.scale": 0.5}).traffic.scale == 0.5


def test_parse_value_types() -> None:
    assert parse_value("2") == 2 and parse_value("0.5") == 0.5 and parse_value("true") is True
    assert parse_value("none") == "none" and parse_value("[1, 2]") == [1, 2]


def test_zone_needs_one_form(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        'name = "z"\nprotocol = "none"\n[[zones]]\nname = "a"\nplace = "Al Tanf garrison"\n',
    )
    with pytest.raises(InputError) as err:
        load(p)
    assert "zones[0]" in str(err.value) and "radius_nm" in str(err.value)


PROTOCOL_CASES = {
    "unknown mechanism": (
        "[radio]\n",
        "[radar]\nenabled = true\n\n[radio]\n",
        "bad.toml: radar: unknown key",
    ),
    "negative delay": (
        "setup_min = 2 ",
        "setup_min = -2 ",
        "bad.toml: hotline.setup_min: must be >= 0, got -2",
    ),
    "probability": (
        "compliance = 0.7 ",
        "compliance = 1.5 ",
        "bad.toml: notification.compliance: must be <= 1, got 1.5",
    ),
    "bad polygon": (
        '{ name = "Hmeymim", side = "coalition", place = "Hmeymim", radius_nm = 30 }',
        '{ name = "bow", side = "coalition", polygon = [[35, 38], [36, 39], [35, 39], [36, 38]] }',
        "bad.toml: keep_out.zones[1]: polygon: not a simple polygon",
    ),
}


@pytest.mark.parametrize("case", sorted(PROTOCOL_CASES))
def test_bad_protocol_file_is_one_line_naming_it(tmp_path: Path, case: str) -> None:
    old, new, expected = PROTOCOL_CASES[case]
    text = Path("protocols/mou-2015.toml").read_text()
    assert old in text
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "bad.toml").write_text(text.replace(old, new, 1))
    scen = tmp_path / "t.toml"
    scen.write_text('name = "t"\nprotocol = "bad"\nduration_h = 1\n')
    res = _run("run", str(scen))
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and expected in lines[0], res.output
