"""`gatescope trace` checks its input with app.zoo.inputs: the API's rules and words, no API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.main import create_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny_env(tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GATESCOPE_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("GATESCOPE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    ("model_id", "argument", "body"),
    [
        pytest.param("tiny-text-gru", "   ", "   ", id="blank-text"),
        pytest.param("tiny-text-gru", "!!! ...", "!!! ...", id="only-punctuation"),
        pytest.param("tiny-numbers-lstm", "1,x;2,y", [[1, "x"], [2, "y"]], id="words-as-numbers"),
        pytest.param("tiny-numbers-lstm", "[[1, NaN]]", [[1, float("nan")]], id="nan"),
        pytest.param("tiny-numbers-lstm", "1,2,3", [[1, 2, 3]], id="too-wide"),
        pytest.param("tiny-numbers-lstm", "[[1, 1e39]]", [[1, 1e39]], id="beyond-float32"),
    ],
)
def test_cli_and_api_refuse_an_input_in_the_same_words(
    tiny_env: Path,
    tiny_models_dir: Path,
    capsys: pytest.CaptureFixture[str],
    model_id: str,
    argument: str,
    body: Any,
) -> None:
    assert main(["trace", model_id, argument]) == 1
    printed = capsys.readouterr().err
    app = create_app(Settings(models_dir=tiny_models_dir, data_dir=tiny_env / "api"))
    with TestClient(app) as client:
        response = client.post(
            f"/api/v1/models/{model_id}/trace",
            content=json.dumps({"input": body}, allow_nan=True),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 422
    for item in response.json()["detail"]:
        message = item["msg"].removeprefix(item["field"]).removeprefix(":").strip()
        assert f"{item['field']}: {message}" in printed, (item, printed)


def test_a_non_utf8_argument_is_refused_not_traced(
    tiny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python reads bytes that are not UTF-8 in argv as lone surrogates (surrogateescape).
    assert main(["trace", "tiny-text-gru", "a \udcff film"]) == 1
    assert "input: is not valid text: it holds a lone surrogate" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value", "argv", "words"),
    [
        pytest.param(
            "GATESCOPE_MAX_TEXT_CHARS",
            "5",
            ["tiny-text-gru", "a great film"],
            "input: has 12 characters; the limit is 5",
            id="text-chars",
        ),
        pytest.param(
            "GATESCOPE_MAX_STEPS",
            "2",
            ["tiny-numbers-lstm", "1,2;3,4;5,6"],
            "input: has 3 steps; the limit is 2",
            id="steps",
        ),
    ],
)
def test_the_cli_keeps_the_operator_limits(
    tiny_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["trace", *argv]) == 1
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("text", ["a great film", "   "], ids=["good", "blank"])
def test_trace_never_imports_the_api_to_check_its_input(
    tiny_models_dir: Path, tmp_path: Path, text: str
) -> None:
    script = (
        "import sys\n"
        "from app.cli import main\n"
        f"main(['trace', 'tiny-text-gru', {text!r}, '-o', {str(tmp_path / 'out.json')!r}])\n"
        "print(sorted(name for name in sys.modules if name.startswith(('app.api', 'fastapi'))))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GATESCOPE_")},
        "GATESCOPE_MODELS_DIR": str(tiny_models_dir),
        "GATESCOPE_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
