"""gatescope generate and gatescope cells on a tiny character model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from app.cli import main
from app.zoo import GateNet, save_model
from tests.api.test_generate import tiny_char_config


@pytest.fixture
def lm_dir(tmp_path: Path) -> Path:
    config = tiny_char_config()
    torch.manual_seed(0)
    save_model(GateNet(config), config, "# tiny\n", tmp_path / config.id)
    return tmp_path


def test_generate_prints_prompt_and_text_and_is_seeded(
    lm_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["generate", "tiny-chars-lstm", "def ", "--length", "40", "--seed", "1"]
    assert main([*arguments, "--models-dir", str(lm_dir)]) == 0
    first = capsys.readouterr().out
    assert main([*arguments, "--models-dir", str(lm_dir)]) == 0

    assert first.startswith("def ") and len(first) == len("def ") + 40 + 1
    assert capsys.readouterr().out == first


def test_generate_json_lists_every_steps_candidates(
    lm_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["generate", "tiny-chars-lstm", "x", "--length", "5", "--top-k", "3", "--json"]
    assert main([*arguments, "--models-dir", str(lm_dir)]) == 0
    document = json.loads(capsys.readouterr().out)

    assert len(document["steps"]) == 5
    assert all(len(step["top"]) == 3 for step in document["steps"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["tiny-chars-lstm", "   "], "prompt", id="blank-prompt"),
        pytest.param(["tiny-chars-lstm", "x", "--length", "2001"], "length", id="too-long"),
        pytest.param(["nope", "x"], "no model", id="unknown-model"),
    ],
)
def test_generate_errors_name_the_problem(
    lm_dir: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["generate", *arguments, "--models-dir", str(lm_dir)]) == 1
    assert message in capsys.readouterr().err


def test_generate_refuses_a_negative_temperature(lm_dir: Path) -> None:
    with pytest.raises(SystemExit):
        main(["generate", "tiny-chars-lstm", "x", "--temperature", "-1"])


def test_cells_only_for_the_shipped_language_models(
    lm_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cells", "sentiment-ko-gru", "--models-dir", str(lm_dir)]) == 1
    assert "chars-python-lstm" in capsys.readouterr().err
