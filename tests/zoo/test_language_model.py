"""Character language models end to end: a tiny run trains, saves, loads, writes and traces."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from app.zoo import load_model
from app.zoo.language import Sampling, stream_bits, write
from app.zoo.training import train
from app.zoo.training.loop import streams_of, windows_of
from app.zoo.training.ngrams import bits_per_char
from tests.zoo.builders import DATA_DIR, needs_data


@pytest.fixture(scope="module")
def tiny_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chars")
    train("chars-python-lstm", DATA_DIR, out, limit=3000, epochs=1, progress=False)
    return out / "chars-python-lstm"


@needs_data
def test_a_tiny_run_writes_a_next_character_model_with_its_vocabulary(tiny_python: Path) -> None:
    model = load_model(tiny_python)
    config = model.config

    assert config.task == "next-token" and config.labels is not None
    assert config.labels[:2] == ["<pad>", "<unk>"]
    assert config.output_width == len(config.labels) == config.embedding.num_embeddings  # type: ignore[union-attr]
    assert "bits per character" in model.card or (tiny_python / "card.md").read_text()


@needs_data
def test_the_trace_of_a_language_model_has_one_step_per_character(tiny_python: Path) -> None:
    model = load_model(tiny_python)
    text = "def f(x):\n    return x  # é"
    traced = model.run_trace(text)

    assert traced.prepared.tokens == list(text)
    assert traced.prepared.token_kinds[-1] == "oov"  # type: ignore[index]
    steps = traced.step_predictions
    assert steps is not None and len(steps) == len(text)
    assert all(step.top is not None and len(step.top) == 5 for step in steps)


@needs_data
def test_seeded_writing_is_deterministic_and_never_draws_padding_or_unknown(
    tiny_python: Path,
) -> None:
    model = load_model(tiny_python)
    sampling = Sampling(temperature=1.0, top_k=10, seed=3, banned=(0, 1))
    first = write(model.network, [5, 6, 7], 40, sampling)
    again = write(model.network, [5, 6, 7], 40, sampling)

    assert first.ids == again.ids
    assert not {0, 1} & set(first.ids)
    for chosen, distribution in zip(first.ids, first.distributions, strict=True):
        assert distribution.sum() == pytest.approx(1.0, abs=1e-5)
        allowed = distribution.clone()
        allowed[[0, 1]] = 0  # top_k counts the tokens that may be drawn
        assert chosen in torch.topk(allowed, 10).indices.tolist()


@needs_data
def test_stream_bits_equal_the_mean_cross_entropy_of_one_pass(tiny_python: Path) -> None:
    model = load_model(tiny_python)
    ids = [2, 3, 4, 5, 2, 3, 4, 5, 6, 7] * 5
    with torch.no_grad():
        features = model.network.embed(torch.tensor([ids]))
        probabilities = model.network(features)[0]
    expected = -torch.log2(probabilities[torch.arange(len(ids) - 1), ids[1:]]).mean()

    assert stream_bits(model.network, ids, window=7) == pytest.approx(float(expected), abs=1e-5)


def test_windows_walk_parallel_streams_with_targets_one_step_on() -> None:
    streams = streams_of(torch.arange(23), 2)  # two rows of 11, the last id dropped
    windows = list(windows_of(streams, 4))

    assert streams.tolist() == [list(range(11)), list(range(11, 22))]
    assert [inputs.shape[1] for inputs, _ in windows] == [4, 4, 2]
    assert all(torch.equal(inputs + 1, targets) for inputs, targets in windows)


def test_bits_of_a_certain_model_are_zero() -> None:
    class Certain:
        order = 2

        def probability(self, symbol: str, history: str) -> float:
            return 1.0

    assert bits_per_char(Certain(), "abc") == 0.0


@needs_data
def test_every_step_of_real_text_says_how_surprised_the_model_was(tiny_python: Path) -> None:
    model = load_model(tiny_python)
    text = "import os\n"
    traced = model.run_trace(text)
    steps = traced.step_predictions
    assert steps is not None
    ids = traced.prepared.token_ids
    assert ids is not None
    with torch.no_grad():
        probabilities = model.network(model.network.embed(torch.tensor([ids])))[0]

    for step, prediction in enumerate(steps[:-1]):
        came = prediction.as_dict()["came"]
        assert came["label"] == text[step + 1]
        assert came["probability"] == pytest.approx(
            float(probabilities[step, ids[step + 1]]), abs=1e-5
        )
        assert came["bits"] == pytest.approx(-math.log2(came["probability"]))
    assert "came" not in steps[-1].as_dict()  # nothing came after the last step
    assert sum(s.as_dict()["came"]["bits"] for s in steps[:-1]) / (len(text) - 1) == pytest.approx(
        stream_bits(model.network, ids), abs=1e-4
    )


def test_the_learning_rate_falls_linearly_to_its_final_fraction() -> None:
    from app.zoo.training.loop import _linear_decay

    parameter = torch.nn.Parameter(torch.zeros(1))
    optimiser = torch.optim.Adam([parameter], lr=1.0)
    decay = _linear_decay(optimiser, 0.1, 10)
    assert decay is not None
    rates = []
    for _ in range(10):
        rates.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        decay.step()

    assert rates[0] == pytest.approx(1.0) and rates[-1] == pytest.approx(0.1)
    assert rates == sorted(rates, reverse=True)
    assert _linear_decay(optimiser, None, 10) is None
