"""The `gatescope` command line: every subcommand, its arguments and its output."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app import apibench
from app.cli import build_parser, main, parse_numbers
from app.config import Settings
from app.main import create_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny_env(tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GATESCOPE_* pointing at the tiny models and an empty data dir (restored afterwards)."""
    monkeypatch.setenv("GATESCOPE_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("GATESCOPE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_console_script_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("serve", "trace", "models", "train", "bench", "import"):
        assert command in result.stdout


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        pytest.param("1,2;3,4", 2, [[1.0, 2.0], [3.0, 4.0]], id="steps-by-semicolon"),
        pytest.param("[[1, 2], [3, 4]]", 2, [[1, 2], [3, 4]], id="json"),
        pytest.param("0.1,0.5,0.9", 1, [0.1, 0.5, 0.9], id="one-feature-commas-are-steps"),
        pytest.param("1,2", 2, [[1.0, 2.0]], id="one-step"),
        pytest.param("1,x", 2, [[1.0, "x"]], id="word-kept-for-the-error"),
    ],
)
def test_numbers_on_the_command_line(text: str, width: int, expected: Any) -> None:
    assert parse_numbers(text, width) == expected


def test_trace_json_is_what_the_api_answers(
    tiny_env: Path, tiny_models_dir: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["trace", "tiny-text-gru", "a great film"]) == 0
    printed = capsysbinary.readouterr().out
    app = create_app(Settings(models_dir=tiny_models_dir, data_dir=tiny_env))
    with TestClient(app) as client:
        api = client.post("/api/v1/models/tiny-text-gru/trace", json={"input": "a great film"})
    assert printed == api.content + b"\n"


def test_trace_numbers_as_csv_with_precision(
    tiny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["trace", "tiny-numbers-lstm", "10,1000;11,1001", "--format", "csv", "--precision", "2"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "layer,direction,step,unit,token,input,forget,candidate,output,cell,hidden"
    assert len(lines) == 1 + 2 * 2 * 3  # layers x steps x units
    assert all(len(value.split(".")[-1]) <= 2 for value in lines[1].split(",")[5:])


def test_trace_npz_needs_and_writes_a_file(
    tiny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "tiny-series-birnn", "0.1,0.5,0.9", "--format", "npz"]) == 2
    assert "-o" in capsys.readouterr().err
    output = tiny_env / "trace.npz"
    assert (
        main(["trace", "tiny-series-birnn", "0.1,0.5", "--format", "npz", "-o", str(output)]) == 0
    )
    with np.load(io.BytesIO(output.read_bytes()), allow_pickle=False) as arrays:
        assert arrays["values"].tolist() == [[0.1], [0.5]]
        assert arrays["layer0_backward_hidden"].shape == (2, 2)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        pytest.param(["trace", "nope", "a"], "no model 'nope'", id="unknown-model"),
        pytest.param(["trace", "tiny-numbers-lstm", "1,x"], "input[0][1]", id="word-as-number"),
        pytest.param(["trace", "tiny-numbers-lstm", "1,2,3"], "input[0]", id="too-wide"),
        pytest.param(["trace", "tiny-numbers-lstm", "[[1, NaN]]"], "finite", id="nan"),
        pytest.param(["trace", "tiny-numbers-lstm", "[[1, 2"], "Expecting", id="broken-json"),
        pytest.param(["trace", "tiny-text-gru", "   "], "empty", id="blank-text"),
    ],
)
def test_trace_errors_name_the_problem(
    tiny_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert main(argv) == 1
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("precision", ["18", "-1", "x"])
def test_trace_precision_is_checked_by_the_parser(precision: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["trace", "m", "x", "--precision", precision])
    assert exit_info.value.code == 2


def test_models_prints_a_table_and_json(tiny_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    table = capsys.readouterr().out
    assert "tiny-numbers-lstm" in table and "tiny-text-gru" in table
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["id"] for row in rows) == [
        "tiny-numbers-lstm",
        "tiny-series-birnn",
        "tiny-text-bilstm",
        "tiny-text-gru",
    ]


def test_models_dir_option_wins_over_the_environment(
    tiny_models_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["models", "--json", "--models-dir", str(tiny_models_dir), "--data-dir", str(tmp_path)]
    assert main(argv) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4


def test_serve_runs_uvicorn_with_settings_in_the_environment(
    tiny_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append((app, options)))
    argv = ["serve", "--port", "8123", "--workers", "3", "--models-dir", "m", "--data-dir", "d"]
    assert main(argv) == 0
    [(app, options)] = calls
    assert app == "app.main:app"
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 3)
    import os

    assert os.environ["GATESCOPE_MODELS_DIR"] == str(Path("m").resolve())
    assert os.environ["GATESCOPE_DATA_DIR"] == str(Path("d").resolve())


def test_train_calls_the_zoo_recipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_train(model_id: str, data: Path, out: Path, **options: Any) -> SimpleNamespace:
        calls.append((model_id, data, out, options))
        return SimpleNamespace(directory=out / model_id, seconds=1.5, metrics={"accuracy": 0.8})

    monkeypatch.setattr("app.zoo.train.train", fake_train)
    argv = ["train", "weather-gru", "--data", "d", "--out", str(tmp_path), "--epochs", "2"]
    assert main([*argv, "--limit", "100"]) == 0
    assert calls == [("weather-gru", Path("d"), tmp_path, {"limit": 100, "epochs": 2})]


def test_bench_prints_the_tracer_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.table import Table

    def render(rows: list[str]) -> Table:
        table = Table("rows")
        table.add_row(" ".join(rows))
        return table

    monkeypatch.setattr("app.bench.bench_tracer", lambda: ["lstm-row", "gru-row"])
    monkeypatch.setattr("app.bench.render_bench_table", render)
    assert main(["bench"]) == 0
    assert "lstm-row gru-row" in capsys.readouterr().out


def test_bench_api_prints_measurements_and_fails_a_missed_goal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        apibench.ApiBenchRow("p50", 4.0, "ms", 10.0),
        apibench.ApiBenchRow("rps", 250.0, "req/s", 300.0, higher_is_better=True),
    ]
    monkeypatch.setattr("app.apibench.bench_api", lambda **options: rows)
    assert main(["bench", "--api"]) == 1
    out = capsys.readouterr().out
    assert "p50" in out and "250.00 req/s" in out and ">= 300 req/s" in out


def test_import_hands_the_file_to_the_importer(
    tiny_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Path, dict[str, Any]]] = []

    def fake_import(path: Path, **options: Any) -> SimpleNamespace:
        calls.append((path, options))
        return SimpleNamespace(
            id="my-gru", config=SimpleNamespace(recurrent=SimpleNamespace(cell="gru"))
        )

    monkeypatch.setattr("app.importers.import_model_file", fake_import)
    assert main(["import", "model.keras", "--tokenizer", "tok.json", "--id", "my-gru"]) == 0
    [(path, options)] = calls
    assert path == Path("model.keras")
    assert options["tokenizer"] == Path("tok.json") and options["model_id"] == "my-gru"
    assert options["data_dir"] == tiny_env / "data"
    assert "tiny-text-gru" in options["reserved_ids"]
    assert "imported my-gru" in capsys.readouterr().out


def test_import_reports_a_refused_file(
    tiny_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.importers import ModelImportError

    def refuse(path: Path, **options: Any) -> None:
        raise ModelImportError("file", "is not a Keras or PyTorch model.")

    monkeypatch.setattr("app.importers.import_model_file", refuse)
    assert main(["import", "notes.txt"]) == 1
    assert "file: is not a Keras or PyTorch model." in capsys.readouterr().err


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert apibench.percentile(values, 0.5) == 50.0
    assert apibench.percentile(values, 0.99) == 99.0
    assert apibench.percentile([3.0], 0.99) == 3.0


@pytest.mark.slow
def test_bench_api_measures_a_real_server(
    tiny_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATESCOPE_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setattr(apibench, "BIG_TRACE", {**apibench.BIG_TRACE, "steps": 50})
    rows = apibench.bench_api(model="tiny-text-gru", requests=20, clients=4)
    names = [row.metric for row in rows]
    assert any("p50" in name for name in names) and any("gzip" in name for name in names)
    assert all(row.value > 0 for row in rows)
