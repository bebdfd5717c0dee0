"""The ``deconflict`` command: the one module that prints, parses arguments and sets exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim import tables
from sim.errors import InputError
from sim.scenario import Scenario, load, parse_assignment

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate Coalition and Russian air operations over Syria, 2015-2017, "
    "and measure near-miss rates under a deconfliction protocol.",
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="PATH=VALUE override (e.g. traffic.scale=2, protocol=none)"),
]


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
    """Load a scenario with ``--set PATH=VALUE`` overrides."""
    overrides = dict(parse_assignment(s) for s in sets or [])
    return load(path, overrides)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    seed: Annotated[int | None, typer.Option(help="random seed (default: the file's)")] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write summary.json and CSVs here")] = None,
    plot: Annotated[
        bool,
        typer.Option("--plot", help="also write map.png/.svg and timeline.png/.svg into --out"),
    ] = False,
) -> None:
    """Run one simulated day and print encounters and rates per 1,000 flight hours."""
    from sim import output
    from sim.runner import run_scenario

    with user_errors():
        if plot and out is None:
            raise InputError("--plot: needs --out DIR to write the figures into")
        scen = load_with_sets(scenario, set_)
        with progress_bar("simulating") as advance:
            result, summary = run_scenario(scen, seed, progress=advance)
    console.print(summary_table(summary, scen))
    console.print(protocol_table(summary))
    console.print(tables.cost_table(summary))
    if out is not None:
        output.write_run(result, summary, out)
        output.atomic_write(out / "scenario.json", scen.model_dump_json(indent=2) + "\n")
        console.print(
            f"wrote {out}/summary.json, encounters.csv, flights.csv, legs.csv, events.csv"
        )
        if plot:
            from sim.viz import figures

            written = figures.write_figures(result, scen, out)
            console.print(f"wrote {out}/" + ", ".join(p.name for p in written))


@app.command()
def validate(scenarios: Annotated[list[Path], typer.Argument(help="scenario files")]) -> None:
    """Check scenario files (and the protocols they name) without running them."""
    problems: list[str] = []
    for path in scenarios:
        try:
            s = load(path)
            console.print(
                f"[green]ok[/green] {path}: {s.name} (protocol {s.protocol.name}, "
                f"{len(s.traffic.sorties)} sortie streams, {len(s.flights)} flights)"
            )
        except InputError as exc:
            problems += exc.problems
    if problems:
        with user_errors():
            raise InputError(problems)


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A transient Rich bar fed with fractions in [0, 1]."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda frac: bar.update(task, completed=frac)


def summary_table(summary: dict[str, Any], scen: Scenario) -> Table:
    """Encounters and rates per 1,000 flight hours, one row per category."""
    title = (
        f"{scen.name}: {scen.title}\nprotocol {summary['protocol']}, seed {summary['seed']}, "
        f"{summary['duration_h']:g} h, {summary['flights']} flights, "
        f"{summary['flight_hours']:.1f} flight hours, "
        f"{summary.get('flight_hours_over_syria', float('nan')):.1f} over Syria"
    )
    t = Table(title=title, title_justify="left")
    t.add_column("category", no_wrap=True)
    t.add_column("graded", justify="right")
    t.add_column("entered", justify="right")
    t.add_column("rate / 1,000 fh [95 %]", justify="right")
    over = summary.get("rates_per_1000_fh_over_syria", {})
    if over:
        t.add_column("in Syria", justify="right")
        t.add_column("over Syria [95 %]", justify="right")
    expected = summary.get("expected_encounters")
    if expected is not None:
        t.add_column("expected rate", justify="right")
    timing = summary.get("expected_rates_over_timing_per_1000_fh")
    by_cause = summary.get("encounters_entered_by_cause", {})
    for cause in by_cause:
        t.add_column(cause, justify="right")
    for name, r in summary["rates_per_1000_fh"].items():
        cells = [name, str(summary["encounters"][name]), str(r["count"]), _rate_cell(r)]
        if over:
            cells += [str(over[name]["count"]), _rate_cell(over[name])]
        if expected is not None:
            cells.append(tables.small(summary["expected_rates_per_1000_fh"][name]))
        cells += [str(counts[name]) for counts in by_cause.values()]
        t.add_row(*cells)
    t.caption = (
        "graded: encounters whose most severe cylinder is this one; entered: this one "
        "or worse (the rate counts these); in Syria: entered with the closest approach inside "
        "Syria; over Syria: their rate per 1,000 flight hours inside Syria's border; "
        "intervals: exact, widened for encounters that cluster by pair and aircraft; "
        "none seen: one-sided 95 % upper bound; chance, intercept: the encounters entered by "
        "independent plans crossing, and by one aircraft intercepting or shadowing the other"
    )
    if expected is not None:
        col = summary["collision"]
        t.caption += (
            "\nexpected rate: per 1,000 fh, of encounters entering the cylinder, expected under "
            f"the position-error model; collisions expected {tables.small(col['expected'])}, "
            f"P(collision | NMAC) {tables.small(col['p_given_nmac'])}, "
            f"{tables.small(col['rate_per_fh'])} per flight hour (ICAO target level of safety "
            "5e-9 fatal accidents per flight hour)"
        )
    if timing is not None:
        draws = summary["expected_over_timing"]["draws"]
        rates = ", ".join(f"{name} {tables.small(r)}" for name, r in timing.items())
        t.caption += (
            f"\nexpected rate over timing (averaged over {draws} re-timings of the day's "
            f"sorties, each departure drawn again within its window): {rates} per 1,000 fh"
        )
        if not summary["expected_over_timing"]["exact"]:
            t.caption += (
                " (not exact: with mechanisms on, the re-timed paths keep the reactions to "
                "the timing flown; use the expected rate to compare protocols)"
            )
    return t


@app.command("sweep")
def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    out: Annotated[Path, typer.Option(help="sweep directory (runs/, summary.csv, plots/)")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="runs per point (default: the file's [sweep])"),
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            help="PATH=V1,V2,... or PATH=linspace(a,b,n) or PATH=range(a,b[,step]); repeat for "
            "a grid (default: the file's [sweep] vary)"
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="local processes (default: CPUs)")] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster"
        ),
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Run a scenario over a parameter grid x replications; re-run to resume."""
    from sim import experiments

    with user_errors():
        scen = load_with_sets(scenario, set_)
        plan = experiments.plan_sweep(scen, _vary_options(vary), replications)
        _check_executor(workers, cluster)
        with _runs_bar(f"sweep {scen.name}", out) as progress:
            outcome = experiments.run_sweep(plan, out, "pool", workers, cluster, progress)
    console.print(tables.sweep_table(experiments.summarize_points(outcome.runs, plan), plan))
    if outcome.ran == 0:
        console.print(f"nothing to do: all {outcome.total} runs are already in {out}/runs")
    else:
        console.print(
            f"wrote {out}/runs ({outcome.total} runs, {outcome.ran} new), "
            f"{out}/summary.csv, {out}/plots/"
        )


@app.command("compare")
def compare_command(
    scenario_a: Annotated[Path, typer.Argument(help="baseline scenario (A)")],
    scenario_b: Annotated[Path, typer.Argument(help="alternative scenario (B)")],
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", help="paired runs (default: A's [sweep] replications)"
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="local processes (default: CPUs)")] = None,
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler address, or 'local'")] = None,
    set_: SetOpt = None,
    set_a: Annotated[
        list[str] | None, typer.Option("--set-a", help="PATH=VALUE for A only")
    ] = None,
    set_b: Annotated[
        list[str] | None,
        typer.Option(
            "--set-b",
            help="PATH=VALUE for B only (e.g. protocol=none: B is A under another protocol)",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write runs/ and compare.json here")] = None,
    target_halfwidth: Annotated[
        float | None,
        typer.Option(help="add paired days until the B - A interval is this narrow either side"),
    ] = None,
    max_replications: Annotated[
        int | None, typer.Option(help="with --target-halfwidth: stop here in any case")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="with --target-halfwidth: the category (default: widest)")
    ] = None,
    change: Annotated[
        float, typer.Option(help="relative change 'n to detect' is worked out for")
    ] = 0.5,
) -> None:
    """Run A and B on the same seeds; paired differences B - A per encounter category.

    ``--set`` changes both; ``--set-a`` / ``--set-b`` one side, so one file can be compared
    with itself under another setting. With ``--target-halfwidth H --max-replications N``,
    paired days are added in batches until the interval is that narrow (re-run to resume).
    """
    from sim import experiments

    with user_errors():
        a = load_with_sets(scenario_a, [*(set_ or []), *(set_a or [])])
        b = load_with_sets(scenario_b, [*(set_ or []), *(set_b or [])])
        _check_executor(workers, cluster)
        sequential = target_halfwidth is not None or max_replications is not None
        if sequential and (target_halfwidth is None or max_replications is None):
            raise InputError("--target-halfwidth and --max-replications go together")
        with _runs_bar(f"compare {a.name} / {b.name}", out) as progress:
            if sequential:
                _, report = experiments.sequential_compare(
                    a, b, target_halfwidth, max_replications, replications, category, out,
                    "pool", workers, cluster, progress, change=change,
                )  # fmt: skip
            else:
                plan = experiments.plan_compare(a, b, replications)
                run = experiments.run_compare
                _, report = run(plan, out, "pool", workers, cluster, progress, change=change)
    console.print(tables.compare_table(report))
    console.print(tables.compare_cost_table(report))
    if "sequential" in report:
        console.print(tables.sequential_note(report["sequential"]))
    if out is not None:
        console.print(f"wrote {out}/compare.json")


def _vary_options(vary: list[str] | None) -> dict[str, Any] | None:
    from sim.experiments import parse_vary

    if not vary:
        return None
    pairs = [parse_vary(v) for v in vary]
    repeated = sorted({p for p, _ in pairs if [q for q, _ in pairs].count(p) > 1})
    if repeated:
        raise InputError([f"--vary {p}: given more than once" for p in repeated])
    return dict(pairs)


def _check_executor(workers: int | None, cluster: str | None) -> None:
    if workers is not None and cluster is not None and cluster != "local":
        raise InputError(
            "--workers and --cluster ADDRESS: give one (workers of a remote cluster are its own)"
        )


@contextmanager
def _runs_bar(label: str, out: Path | None) -> Iterator[Any]:
    """A Rich bar of runs done, runs/s and time left; Ctrl-C or a lost worker says how to resume."""
    import time

    from rich.progress import MofNCompleteColumn

    from sim.experiments import SweepError

    resume = f" in {out}/runs; run the same command again to resume" if out else ""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[speed]}"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        state: dict[str, Any] = {}

        def advance(done: int, total: int) -> None:
            if "task" not in state:
                state.update(
                    task=bar.add_task(label, total=total, completed=done, speed=""),
                    t0=time.perf_counter(),
                    done0=done,
                )
                return
            rate = (done - state["done0"]) / max(time.perf_counter() - state["t0"], 1e-9)
            bar.update(state["task"], completed=done, total=total, speed=f"{rate:.2f} runs/s")

        try:
            yield advance
        except KeyboardInterrupt:
            errors.print(f"interrupted: finished runs are saved{resume}", highlight=False)
            raise typer.Exit(130) from None
        except SweepError as exc:
            errors.print(
                f"[red]error:[/red] {exc}; finished runs are saved{resume}", highlight=False
            )
            raise typer.Exit(1) from None


def _rate_cell(r: dict[str, Any]) -> str:
    """``rate [low-high]`` of one rate entry, or its upper bound when none was seen."""
    if r["count"] == 0:
        return tables.none_seen(1, r["upper_95"])
    return f"{r['rate']:.2f} [{r['ci_low']:.2f}-{r['ci_high']:.2f}]"


CORE_ROWS = (
    ("flights rerouted / held", lambda p: f"{p['flights_rerouted']} / {p['flights_held']}"),
    ("manoeuvres", lambda p: f"{p['manoeuvres']}"),
)


def protocol_table(summary: dict[str, Any]) -> Table:
    """What the protocol did: each mechanism's rows (hotline, notices, radio, line, ...),
    then what happened to the flights.
    """
    from sim.protocol import registry

    t = Table(title="protocol at work", title_justify="left", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    for m in registry.mechanisms():
        for row in m.table:
            t.add_row(row.label, row.value(summary))
    for label, value in CORE_ROWS:
        t.add_row(label, value(summary["protocol_effects"]))
    return t


@app.command("sensitivity")
def sensitivity_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    out: Annotated[Path, typer.Option(help="directory (runs/, indices.csv, plots/)")],
    param: Annotated[
        list[str] | None,
        typer.Option(help="PATH=LOW:HIGH, repeat (default: the file's [sensitivity] params)"),
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="base samples (default: the file's, or 64)")
    ] = None,
    method: Annotated[str | None, typer.Option(help="sobol or morris (default: sobol)")] = None,
    workers: Annotated[int | None, typer.Option(help="local processes (default: CPUs)")] = None,
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler address, or 'local'")] = None,
    set_: SetOpt = None,
) -> None:
    """Global sensitivity (Sobol or Morris) of the rates to parameters over ranges; each base
    sample's variants run on one seed. Re-run to resume.
    """
    from sim import experiments

    with user_errors():
        scen = load_with_sets(scenario, set_)
        params = dict(experiments.parse_param(p) for p in param) if param else None
        plan = experiments.plan_sensitivity(scen, params, samples, method)  # type: ignore[arg-type]
        _check_executor(workers, cluster)
        with _runs_bar(f"sensitivity {scen.name}", out) as progress:
            _, table = experiments.run_sensitivity(plan, out, "pool", workers, cluster, progress)
    for metric in dict.fromkeys(table["metric"]):
        if metric.startswith("rate_"):
            console.print(tables.sensitivity_table(table, plan.method, metric))
    console.print(f"wrote {out}/runs ({plan.n_runs} runs), {out}/indices.csv, {out}/plots/")


@app.command("replay")
def replay_command(
    source: Annotated[
        Path,
        typer.Argument(
            help="scenario TOML file, or a directory written "
            "by `run --out` (re-simulated with its seed)"
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="FILE.html: the interactive page for class (one self-contained file, "
            "works offline); FILE.gif or FILE.mp4: an animation for slides"
        ),
    ],
    from_: Annotated[
        str | None, typer.Option("--from", help="start: HH:MM UTC, or +HH:MM after the run start")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="end: HH:MM UTC, or +HH:MM")] = None,
    step_s: Annotated[
        float, typer.Option("--step-s", min=1.0, help="GIF/MP4: simulated seconds per frame")
    ] = 60.0,
    fps: Annotated[float, typer.Option(min=0.1, help="GIF/MP4: frames per second")] = 12.0,
    follow: Annotated[
        str | None,
        typer.Option(help="GIF/MP4: keep this aircraft id in the centre of a closer view"),
    ] = None,
    labels: Annotated[bool, typer.Option("--labels", help="label aircraft with their ids")] = False,
    width: Annotated[
        int, typer.Option(min=160, help="GIF/MP4: picture width, pixels (16:9)")
    ] = 1280,
    dpi: Annotated[
        float,
        typer.Option(min=20.0, help="GIF/MP4: text and marker size; 100 is the reference"),
    ] = 100.0,
    seed: Annotated[
        int | None, typer.Option(help="random seed (default: the file's, or the run's)")
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Replay a run on the map: an interactive HTML page for class, or a GIF/MP4 for slides."""
    from sim import viz as rp
    from sim.engine import simulate
    from sim.output import read_run_dir

    with user_errors():
        suffix = out.suffix.lower()
        if suffix not in (".html", *rp.FORMATS):
            raise InputError(f"--out {out}: use a .html, .gif or .mp4 file")
        if source.is_dir():
            scen, run_seed = read_run_dir(source)
            if set_:
                scen = scen.with_overrides(dict(parse_assignment(s) for s in set_))
            seed = run_seed if seed is None else seed
        else:
            scen = load_with_sets(source, set_)
        try:
            start_s, end_s = rp.parse_window(from_, to, scen.start.isoformat(), scen.duration_s)
        except rp.ReplayError as exc:
            raise InputError(str(exc)) from None
        with progress_bar("simulating") as advance:
            result = simulate(scen, seed, progress=advance)
        if suffix == ".html":
            page = rp.replay_page(result, scen, start_s=start_s, end_s=end_s, labels=labels)
            page.save(out)
            console.print(f"wrote {out} ({page.size_bytes / 1e6:.1f} MB)")
            return
        try:
            anim = rp.replay(
                result,
                scen,
                start_s=start_s,
                end_s=end_s,
                step_s=step_s,
                fps=fps,
                follow=follow,
                labels=labels,
                width=width,
                dpi=dpi,
            )
        except rp.ReplayError as exc:
            raise InputError(str(exc)) from None
        with progress_bar(f"rendering {len(anim)} frames") as advance:
            rp.save(anim, out, progress=advance)
    console.print(f"wrote {out} ({len(anim)} frames, {out.stat().st_size / 1e6:.1f} MB)")


def main() -> None:  # pragma: no cover - console entry
    """Run the command line."""
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
