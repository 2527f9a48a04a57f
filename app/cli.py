"""The `gatescope` command: serve | trace | generate | cells | models | train | bench | import |
index | atlas.

Heavy modules (uvicorn, training, the benches, importers) are imported inside their commands, so
`gatescope --help` and argument errors stay instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from app.config import PROJECT_ROOT, Settings

Handler = Callable[[argparse.Namespace], int]
EXIT_USAGE = 2


def _console(stderr: bool = False) -> Console:
    """Rich output; piped output gets 140 columns instead of 80 so tables keep their words."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 140
    return console


def _fail(message: str, code: int = 1) -> int:
    _console(stderr=True).print(f"[red]error:[/] {message}")
    return code


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with --models-dir / --data-dir applied on top."""
    overrides: dict[str, Any] = {}
    if getattr(args, "models_dir", None):
        overrides["models_dir"] = Path(args.models_dir)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


# -- serve ------------------------------------------------------------------------------------


def serve_environment(args: argparse.Namespace) -> dict[str, str]:
    """GATESCOPE_* variables for --models-dir / --data-dir, so every worker reads the same."""
    env: dict[str, str] = {}
    if args.models_dir:
        env["GATESCOPE_MODELS_DIR"] = str(Path(args.models_dir).resolve())
    if args.data_dir:
        env["GATESCOPE_DATA_DIR"] = str(Path(args.data_dir).resolve())
    return env


KEEP_ALIVE_SECONDS = 5  # an idle connection is closed after this
MAX_HEADER_BYTES = 16_384  # a request head larger than this is refused


def default_workers(cores: int | None = None) -> int:
    """One worker process per core, at most 4: each has its own threads (light and heavy lanes),
    and torch work holds the GIL for much of a trace, so processes are what use the cores."""
    return max(1, min(4, cores if cores is not None else len(os.sched_getaffinity(0))))


def metrics_directory() -> tuple[Path, bool]:
    """Where the workers pool their metrics: PROMETHEUS_MULTIPROC_DIR if set (emptied of a
    previous run's values), else a fresh temporary directory; and whether it is ours to remove.
    Local disk on purpose: the values are memory-mapped files, not for a network filesystem."""
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        from app.metrics import fresh_multiproc_dir

        return fresh_multiproc_dir(Path(given)), False
    return Path(tempfile.mkdtemp(prefix="gatescope-metrics-")), True


def cmd_serve(args: argparse.Namespace) -> int:
    """Run uvicorn on app.main:app with the requested workers, their metrics pooled."""
    import shutil

    import uvicorn

    os.environ.update(serve_environment(args))
    json_log = _settings(args).access_log == "json"
    metrics_dir, ours = metrics_directory()
    previous = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # the workers inherit it
    try:
        uvicorn.run(
            "app.main:app",
            host=args.host,
            port=args.port,
            workers=args.workers or default_workers(),
            log_level=args.log_level,
            access_log=not json_log,  # the JSON lines replace uvicorn's own
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        )
    finally:
        if ours:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if previous is None:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        else:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = previous
    return 0


# -- trace ------------------------------------------------------------------------------------


def parse_numbers(text: str, width: int) -> Any:
    """Numbers from the command line: JSON (`[[1, 2], [3, 4]]`) or `1,2;3,4` (steps by `;`).

    Without `;`, a one-feature model reads `1,2,3` as three steps; wider models as one step.
    """
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    if ";" in text or width != 1:
        return [[_number(value) for value in step.split(",")] for step in text.split(";")]
    return [_number(value) for value in text.split(",")]


def _number(text: str) -> float | str:
    """A float, or the text itself so validation can name it."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


def cmd_trace(args: argparse.Namespace) -> int:
    """Trace one input through a model and write JSON, CSV or npz.

    The input is checked by app.zoo.inputs, the rules (and wording) the API uses too.
    """
    from app.serialize import render, view_of_traced
    from app.zoo import InputError, ModelRegistry
    from app.zoo.inputs import check_input, limits_of

    if args.format == "npz" and not args.output:
        return _fail("--format npz writes binary: give a file with -o", EXIT_USAGE)
    settings = _settings(args)
    model = ModelRegistry(settings.models_dir, settings.data_dir / "models").get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r} in {settings.models_dir}")
    try:
        raw = _trace_input(args.input, model)
        check_input(raw, "input", limits_of(settings))
        traced = model.run_trace(raw, max_steps=settings.max_steps)
    except InputError as error:
        return _fail(str(error))
    except json.JSONDecodeError as error:
        return _fail(f"input: is not valid JSON: {error}")
    precision = settings.precision if args.precision is None else _precision(args.precision)
    data = render(view_of_traced(model, traced), args.format, precision)
    _write(data, args.output)
    return 0


def _trace_input(text: str, model: Any) -> Any:
    spec = model.config.preprocessing
    if model.config.input_kind == "text":
        return text
    return parse_numbers(text, len(spec.features))


def _precision(text: str) -> int | None:
    return None if text == "full" else int(text)


def _write(data: bytes, output: str | None) -> None:
    if output and output != "-":
        Path(output).write_bytes(data)
        return
    sys.stdout.buffer.write(data)
    if not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def _positive(text: str) -> int:
    """A whole number of at least 1 (counts of requests, clients, steps, repeats)."""
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")


def _positive_float(text: str) -> float:
    """A number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value > 0 and value < float("inf"):
        return value
    raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")


def _precision_argument(text: str) -> str:
    if text == "full" or (text.isdigit() and int(text) <= 17):
        return text
    raise argparse.ArgumentTypeError("must be 0-17 or 'full'")


# -- generate ---------------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    """A language model writes after a prompt; the prompt and the text go to stdout."""
    from app.zoo import InputError, ModelRegistry
    from app.zoo.generation import generate
    from app.zoo.language import Sampling

    settings = _settings(args)
    model = ModelRegistry(settings.models_dir, settings.data_dir / "models").get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r} in {settings.models_dir}")
    sampling = Sampling(args.temperature, args.top_k, args.seed)
    try:
        writing = generate(
            model, args.prompt, args.length, sampling, settings.max_steps, settings.max_text_chars
        )
    except InputError as error:
        return _fail(str(error))
    if args.json:
        steps = [
            {"token": step.token, "probability": step.probability, **step.candidates.as_dict()}
            for step in writing.steps
        ]
        payload = {"prompt": writing.prompt, "text": writing.text, "steps": steps}
        _write(json.dumps(payload, ensure_ascii=False, indent=2).encode(), None)
    else:
        _write((writing.prompt + writing.text).encode(), None)
    return 0


def _temperature(text: str) -> float:
    from app.limits import MAX_TEMPERATURE

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if 0 <= value <= MAX_TEMPERATURE:
        return value
    raise argparse.ArgumentTypeError(
        f"must be a number from 0 to {MAX_TEMPERATURE:g}, got {text!r}"
    )


# -- cells ------------------------------------------------------------------------------------


def cells_table(document: dict[str, Any]) -> Table:
    """The best unit per feature, with its score and whether it meets the issue's goal."""
    table = Table(title=f"interpretable cells of {document.get('model', '?')}")
    for name in ("feature", "unit", "score", "goal"):
        table.add_column(name, no_wrap=name != "feature")
    goals = document.get("goals", {})
    for unit in document["best"]:
        metric = "AUROC" if unit["metric"] == "auroc" else "r"
        goal = goals.get(unit["feature"])
        met = document.get("met", {}).get(unit["feature"])
        goal_text = "-" if goal is None else f"{goal:g} {'met' if met else 'not met'}"
        table.add_row(
            unit["feature"], unit["unit_name"], f"{metric} {unit['score']:.3f}", goal_text
        )
    return table


def cmd_cells(args: argparse.Namespace) -> int:
    """Score every unit of a shipped language model against the interpretable-cell features on
    its held-out text; print the best unit per feature (and write cells.json with --write)."""
    from app.features.cells import find_cells
    from app.zoo import ModelRegistry
    from app.zoo.store import write_cells
    from app.zoo.training import RECIPES

    settings = _settings(args)
    recipe = RECIPES.get(args.model)
    if recipe is None or recipe.task != "next-token":
        known = ", ".join(sorted(r.model_id for r in RECIPES.values() if r.task == "next-token"))
        return _fail(f"cells are found for the shipped language models: {known}")
    model = ModelRegistry(settings.models_dir).get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r} in {settings.models_dir}: train it first")
    try:
        document = find_cells(model, recipe.data, Path(args.data), args.chars)
    except FileNotFoundError as error:
        return _fail(str(error))
    if args.write:
        write_cells(settings.models_dir / args.model, document)
    if args.json:
        _write(json.dumps(document, ensure_ascii=False, indent=1).encode(), None)
    else:
        _console().print(cells_table(document))
    return 0


# -- models -----------------------------------------------------------------------------------


MODEL_COLUMNS = ("cell", "task", "lang", "input", "steps", "hidden", "layers", "params")


def models_table(rows: Sequence[dict[str, Any]]) -> Table:
    """The model summaries as a rich table (ids never cut, so they can be copied)."""
    table = Table(title="gatescope models")
    table.add_column("id", no_wrap=True, min_width=max((len(row["id"]) for row in rows), default=2))
    for name in MODEL_COLUMNS:
        numeric = name in {"steps", "hidden", "layers", "params"}
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        layers = f"{row['num_layers']}{' x2' if row['bidirectional'] else ''}"
        table.add_row(
            row["id"],
            row["cell"],
            row["task"],
            row["language"] or "-",
            row["input_kind"],
            str(row["seq_length"]),
            str(row["hidden_size"]),
            layers,
            f"{row['parameters']:,}",
        )
    return table


def cmd_models(args: argparse.Namespace) -> int:
    """List the models the server would serve."""
    from app.zoo import ModelRegistry
    from app.zoo.describe import summary_of

    settings = _settings(args)
    registry = ModelRegistry(settings.models_dir, settings.data_dir / "models")
    rows = [summary_of(model) for model in registry.all()]
    if args.json:
        _write(json.dumps(rows, ensure_ascii=False, indent=2).encode(), None)
    else:
        _console().print(models_table(rows))
    return 0


# -- train, bench, import ---------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train a shipped model from its recipe (app.zoo.training)."""
    from app.zoo.training import RECIPES, train

    if args.id not in RECIPES:
        return _fail(f"there is no recipe for {args.id!r}; known: {', '.join(sorted(RECIPES))}")
    try:
        report = train(
            args.id, Path(args.data), Path(args.out), limit=args.limit, epochs=args.epochs
        )
    except FileNotFoundError as error:
        return _fail(str(error))
    metrics = ", ".join(f"{name} {value:.4f}" for name, value in report.metrics.items())
    _console().print(f"wrote {report.directory} in {report.seconds:.1f} s ({metrics})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The tracer bench; --api the HTTP bench, --page a cold page in Chromium, --atlas the
    atlas, --whatif the patching sweeps, --playground the playground's training goals."""
    if args.playground:
        from app.playgroundbench import bench_playground, render_playground_table

        console = _console()
        goals = bench_playground(
            seeds=args.seeds,
            dyck_seconds=args.seconds,
            budget=args.budget,
            speed_seconds=args.speed_seconds,
            report=console.print,
        )
        console.print(render_playground_table(goals))
        return 0 if args.no_fail or all(goal.meets_goal for goal in goals) else 1
    if args.atlas:
        return _bench_atlas(args)
    if args.page:
        from app.bench_page import bench_page, render_page_table

        result = bench_page(repeats=args.page_repeats)
        _console().print(render_page_table(result))
        return 0 if args.no_fail or result.meets_goal else 1
    if args.api:
        from app.apibench import bench_api, render_api_table

        rows = bench_api(
            model=args.model,
            requests=args.requests,
            clients=args.clients,
            big_steps=args.big_steps,
        )
        _console().print(render_api_table(rows))
        return 0 if args.no_fail or all(row.meets_goal for row in rows) else 1
    if args.whatif:
        from app.whatif.bench import bench_whatif, render_whatif_table

        found = bench_whatif(Path(_settings(args).models_dir), repeats=min(args.repeats, 3))
        _console().print(render_whatif_table(found))
        return 0 if args.no_fail or all(row.meets_goal for row in found) else 1
    from app.bench import RATIO_GOALS, bench_tracer, render_bench_table

    sizes = list(RATIO_GOALS)[:1] if args.quick else list(RATIO_GOALS)
    _console().print(render_bench_table(bench_tracer(args.repeats, sizes=sizes)))
    return 0


def _bench_atlas(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from app.atlasbench import bench_atlas
    from app.zoo import ModelRegistry

    settings = _settings(args)
    model = ModelRegistry(settings.models_dir).get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r} in {settings.models_dir}")
    with Progress(console=_console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=fraction)

        rows = bench_atlas(model, progress=report)
    table = Table("measure", "value", "goal", "met")
    for row in rows:
        goal = "-" if row.goal == float("inf") else f"<= {row.goal:g} {row.unit}"
        table.add_row(
            row.measure, f"{row.value:.1f} {row.unit}", goal, "yes" if row.meets_goal else "NO"
        )
    _console().print(table)
    return 0 if args.no_fail or all(row.meets_goal for row in rows) else 1


# -- the unit atlas -----------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    """Build (or find) a model's atlas index, with a progress bar."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    from app.atlas import build_index, open_index, read_corpus_file
    from app.atlas.build import BuildBusy
    from app.atlas.corpus import Corpus, CorpusError
    from app.atlas.service import atlas_root, current_corpus, limits_of, set_corpus
    from app.zoo import ModelRegistry

    settings = _settings(args)
    model = ModelRegistry(settings.models_dir, settings.data_dir / "models").get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r}")
    root = atlas_root(settings)
    try:
        corpus: Corpus | None
        if args.corpus:
            path = Path(args.corpus)
            corpus = read_corpus_file(path.read_bytes(), path.name, model.config, args.column)
            set_corpus(model, corpus, root)
        else:
            corpus = current_corpus(model, root)
        if corpus is None:
            return _fail(f"{model.id} has no held-out data here: give a corpus with --corpus")
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=_console(stderr=True)) as bar:
            task = bar.add_task(f"indexing {corpus.name}", total=1.0)
            directory = build_index(
                model,
                corpus,
                root,
                settings.precision,
                limits_of(settings),
                progress=lambda fraction: bar.update(task, completed=fraction),
            )
    except (CorpusError, BuildBusy, OSError) as error:
        return _fail(str(error))
    index = open_index(directory)
    _console().print(f"{index.documents} documents, {index.steps} steps in {directory}")
    return 0


def cmd_atlas(args: argparse.Namespace) -> int:
    """Print a unit's card from the model's atlas index."""
    from app.atlas import open_index, parse_unit
    from app.atlas.build import atlas_status
    from app.atlas.card import unit_card
    from app.atlas.service import atlas_root, current_corpus, current_key
    from app.zoo import ModelRegistry

    settings = _settings(args)
    model = ModelRegistry(settings.models_dir, settings.data_dir / "models").get(args.model)
    if model is None:
        return _fail(f"there is no model {args.model!r}")
    root = atlas_root(settings)
    corpus = current_corpus(model, root)
    key = current_key(model, corpus, settings) if corpus is not None else None
    if key is None or atlas_status(root, key).status != "ready":
        return _fail(f"{model.id} has no atlas index yet: run `gatescope index {model.id}`")
    try:
        ref, unit = parse_unit(args.unit)
        card = unit_card(open_index(root / key), ref, unit, k=args.k)
    except (ValueError, KeyError, IndexError) as error:
        return _fail(f"--unit: {error}")
    if args.json:
        _console().print_json(json.dumps(card, ensure_ascii=False))
        return 0
    _print_card(card)
    return 0


def _print_card(card: dict[str, Any]) -> None:
    console = _console()
    console.print(
        f"[bold]{card['unit']}[/]  mean {card['mean']}  std {card['std']}  "
        f"saturation {card['saturation']}"
    )
    console.print("quantiles: " + "  ".join(f"{q['q']:g}: {q['value']}" for q in card["quantiles"]))
    for side in ("top", "bottom"):
        table = Table("document", "step", "value", "context", title=side)
        for item in card[side]:
            words = [str(token) for token in item["tokens"]]
            words[item["focus"]] = f"[bold]{words[item['focus']]}[/]"
            table.add_row(
                str(item["document"]), str(item["step"]), f"{item['value']}", " ".join(words)
            )
        console.print(table)
    if card["words"]:
        for side in ("highest", "lowest"):
            rows = ", ".join(
                f"{row['word']} {row['value']:+.4f} ({row['count']})" for row in card["words"][side]
            )
            console.print(f"words, {side} {card['words']['measure']}: {rows}")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a Keras or PyTorch model file as an uploaded model (app.importers)."""
    from app.importers import ModelImportError, import_model_file, split_names
    from app.zoo import ModelRegistry

    settings = _settings(args)
    shipped = ModelRegistry(settings.models_dir).shipped
    try:
        model = import_model_file(
            Path(args.file),
            tokenizer=Path(args.tokenizer) if args.tokenizer else None,
            config=Path(args.config) if args.config else None,
            model_id=args.id,
            labels=split_names(args.labels, "labels"),
            data_dir=settings.data_dir,
            reserved_ids=set(shipped),
        )
    except ModelImportError as error:
        return _fail(f"{error.field}: {error.message}")
    cells = " -> ".join(block.cell for block in model.config.blocks)
    _console().print(f"imported [bold]{model.id}[/] ({cells})")
    return 0


# -- parser -----------------------------------------------------------------------------------


def _add_dirs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-dir", help="shipped models (default: GATESCOPE_MODELS_DIR)")
    parser.add_argument("--data-dir", help="uploads and data (default: GATESCOPE_DATA_DIR)")


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand with its options; each sets `handler`."""
    parser = argparse.ArgumentParser(prog="gatescope", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=0, help="worker processes (default: the cores, at most 4)"
    )
    serve.add_argument("--log-level", default="info")
    _add_dirs(serve)
    serve.set_defaults(handler=cmd_serve)

    trace = commands.add_parser("trace", help="trace one input through a model")
    trace.add_argument("model", help="a model id (see `gatescope models`)")
    trace.add_argument("input", help='the text, or numbers: JSON or "1,2;3,4" (steps by ;)')
    trace.add_argument("--format", choices=["json", "csv", "npz"], default="json")
    trace.add_argument("-o", "--output", help="write here instead of stdout (needed for npz)")
    trace.add_argument("--precision", type=_precision_argument, help="decimals (0-17) or full")
    _add_dirs(trace)
    trace.set_defaults(handler=cmd_trace)

    generate = commands.add_parser("generate", help="let a language model write after a prompt")
    generate.add_argument("model", help="a next-token model id, e.g. chars-python-lstm")
    generate.add_argument("prompt", help='the text it reads first, e.g. "def "')
    generate.add_argument(
        "--length", type=_positive, default=300, help="characters to write (<= 2000)"
    )
    generate.add_argument(
        "--temperature", type=_temperature, default=1.0, help="0 takes the likeliest"
    )
    generate.add_argument("--top-k", type=_positive, help="sample among the k likeliest only")
    generate.add_argument("--seed", type=int, default=0, help="the same seed writes the same text")
    generate.add_argument(
        "--json", action="store_true", help="the text and every step's candidates"
    )
    _add_dirs(generate)
    generate.set_defaults(handler=cmd_generate)

    cells = commands.add_parser("cells", help="find a language model's interpretable cells")
    cells.add_argument("model", help="chars-python-lstm or chars-ko-lstm")
    cells.add_argument("--data", default=str(PROJECT_ROOT.parent / "shared" / "data"))
    cells.add_argument("--chars", type=_positive, default=40_000, help="held-out characters")
    cells.add_argument("--write", action="store_true", help="save as <model>/cells.json")
    cells.add_argument("--json", action="store_true", help="the whole document as JSON")
    _add_dirs(cells)
    cells.set_defaults(handler=cmd_cells)

    models = commands.add_parser("models", help="list the models")
    models.add_argument("--json", action="store_true", help="JSON instead of a table")
    _add_dirs(models)
    models.set_defaults(handler=cmd_models)

    train = commands.add_parser("train", help="train a shipped model from its recipe")
    train.add_argument("id", help="a shipped model id, e.g. sentiment-ko-gru")
    train.add_argument("--data", default=str(PROJECT_ROOT.parent / "shared" / "data"))
    train.add_argument("--out", default=str(PROJECT_ROOT / "models"))
    train.add_argument("--epochs", type=int)
    train.add_argument("--limit", type=int, help="cap the rows (quick runs)")
    train.set_defaults(handler=cmd_train)

    bench = commands.add_parser("bench", help="benchmark the tracer (or the API with --api)")
    bench.add_argument("--api", action="store_true", help="benchmark the HTTP API instead")
    bench.add_argument(
        "--page",
        action="store_true",
        help="time a cold shared explorer link in headless Chromium (page ready, first plot)",
    )
    bench.add_argument(
        "--page-repeats", type=_positive, default=5, help="cold visits timed (--page)"
    )
    bench.add_argument("--atlas", action="store_true", help="benchmark the unit atlas instead")
    bench.add_argument(
        "--whatif", action="store_true", help="time full patching sweeps (issue 13's goals)"
    )
    bench.add_argument("--model", default="sentiment-ko-gru", help="model of the API latency runs")
    bench.add_argument("--requests", type=_positive, default=300, help="sequential requests timed")
    bench.add_argument("--clients", type=_positive, default=16, help="concurrent clients")
    bench.add_argument(
        "--big-steps", type=_positive, default=1000, help="steps of the large ad-hoc trace (--api)"
    )
    bench.add_argument(
        "--no-fail",
        action="store_true",
        help="exit 0 even when a goal is missed (--api, --page, --whatif, --playground)",
    )
    bench.add_argument(
        "--playground", action="store_true", help="benchmark the playground's training goals"
    )
    bench.add_argument(
        "--seeds", type=_positive, default=10, help="dyck1 seeds (--playground; goal: 10)"
    )
    bench.add_argument(
        "--seconds",
        type=_positive_float,
        default=60.0,
        help="dyck1 seconds per seed (--playground)",
    )
    bench.add_argument(
        "--budget",
        type=_positive_float,
        default=120.0,
        help="seconds per latch / adding run (--playground; goal: 120)",
    )
    bench.add_argument(
        "--speed-seconds", type=_positive_float, default=5.0, help="seconds timed for steps/s"
    )
    bench.add_argument("--repeats", type=_positive, default=11, help="timed runs per size (tracer)")
    bench.add_argument(
        "--quick", action="store_true", help="only the smallest size (tracer; a smoke run)"
    )
    bench.set_defaults(handler=cmd_bench)

    index = commands.add_parser("index", help="build a model's unit-atlas index")
    index.add_argument("model", help="a model id")
    index.add_argument("--corpus", help="a text file (one document a line), a CSV, or numbers")
    index.add_argument("--column", help="the CSV column that holds the documents")
    _add_dirs(index)
    index.set_defaults(handler=cmd_index)

    atlas = commands.add_parser("atlas", help="show a unit's card from the atlas index")
    atlas.add_argument("model", help="a model id")
    atlas.add_argument(
        "--unit", required=True, help="layer/direction/track/unit, e.g. 0/forward/update/7"
    )
    atlas.add_argument("--k", type=_positive, default=10, help="top and bottom contexts")
    atlas.add_argument("--json", action="store_true", help="print the card as JSON")
    _add_dirs(atlas)
    atlas.set_defaults(handler=cmd_atlas)

    importer = commands.add_parser("import", help="import a Keras or PyTorch model file")
    importer.add_argument("file", help=".keras, .h5, .safetensors, .pt or .zip")
    importer.add_argument("--tokenizer", help="Keras tokenizer JSON (text models)")
    importer.add_argument("--config", help="gatescope config.json (with .safetensors or .pt)")
    importer.add_argument("--id", help="the new model's id (default: from the file name)")
    importer.add_argument(
        "--labels",
        help='class names of a softmax classifier, in output order: "a,b,c" or a JSON list '
        '(default "class 0", "class 1", ...)',
    )
    _add_dirs(importer)
    importer.set_defaults(handler=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gatescope` console script."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
