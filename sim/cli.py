"""The ``deconflict`` command: the one module that prints, parses arguments and sets exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.errors import InputError
from sim.scenario import Scenario, load, parse_assignment

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate Coalition and Russian air operations over Syria, 2015-2017, "
                       "and measure near-miss rates under a deconfliction protocol.")
console = Console()
errors = Console(stderr=True)

SetOpt = Annotated[list[str] | None, typer.Option("--set", help="PATH=VALUE override "
                                                  "(e.g. traffic.scale=2, protocol=none)")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn input problems into one line each on stderr and exit status 2 (no traceback)."""
    try:
        yield
    except InputError as exc:
        for line in exc.problems:
            errors.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def load_with_sets(path: Path, sets: list[str] | None) -> Scenario:
    overrides = dict(parse_assignment(s) for s in sets or [])
    return load(path, overrides)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    seed: Annotated[int | None, typer.Option(help="random seed (default: the file's)")] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write summary.json and CSVs here")] = None,
) -> None:
    """Run one simulated day and print encounters and rates per 1,000 flight hours."""
    from sim import output
    from sim.runner import run_scenario

    with user_errors():
        scen = load_with_sets(scenario, set_)
        with progress_bar("simulating") as advance:
            result, summary = run_scenario(scen, seed, progress=advance)
    console.print(summary_table(summary, scen))
    if out is not None:
        output.write_run(result, summary, out)
        output.atomic_write(out / "scenario.json", scen.model_dump_json(indent=2) + "\n")
        console.print(f"wrote {out}/summary.json, encounters.csv, flights.csv, events.csv")


@app.command()
def validate(scenarios: Annotated[list[Path], typer.Argument(help="scenario files")]) -> None:
    """Check scenario files (and the protocols they name) without running them."""
    problems: list[str] = []
    for path in scenarios:
        try:
            s = load(path)
            console.print(f"[green]ok[/green] {path}: {s.name} (protocol {s.protocol.name}, "
                          f"{len(s.traffic.sorties)} sortie streams, {len(s.flights)} flights)")
        except InputError as exc:
            problems += exc.problems
    if problems:
        with user_errors():
            raise InputError(problems)


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A transient Rich bar fed with fractions in [0, 1]."""
    with Progress(TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda frac: bar.update(task, completed=frac)


def summary_table(summary: dict[str, Any], scen: Scenario) -> Table:
    """Encounters and rates per 1,000 flight hours, one row per category."""
    t = Table(title=f"{scen.name}: {scen.title}\nprotocol {summary['protocol']}, seed "
                    f"{summary['seed']}, {summary['duration_h']:g} h, {summary['flights']} flights, "
                    f"{summary['flight_hours']:.1f} flight hours", title_justify="left")
    t.add_column("category")
    t.add_column("graded", justify="right")
    t.add_column("entered", justify="right")
    t.add_column("rate / 1,000 fh", justify="right")
    t.add_column("95 % interval", justify="right")
    for name, r in summary["rates_per_1000_fh"].items():
        t.add_row(name, str(summary["encounters"][name]), str(r["count"]), f"{r['rate']:.2f}",
                  f"{r['ci_low']:.2f} - {r['ci_high']:.2f}")
    t.caption = ("graded: encounters whose most severe cylinder is this one; entered: this one "
                 "or worse (the rate counts these); exact Poisson interval")
    return t


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
