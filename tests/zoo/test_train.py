"""Training recipes: tiny end-to-end runs on slices of the shared data, and their contracts."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.config import PROJECT_ROOT, get_settings
from app.preprocessing import morpheme_tokens
from app.zoo import GateNet, ModelConfig, load_model
from app.zoo.spec import DenseSpec, NumbersPreprocessing, RecurrentSpec
from app.zoo.training import (
    RECIPES,
    TrainReport,
    datasets,
    held_out,
    morpheme_batch,
    train,
    train_step,
)
from app.zoo.training.loop import forward_with_dropout
from tests.zoo.builders import DATA_DIR, needs_data

SHIPPED_IDS = {
    "sentiment-ko-gru",
    "sentiment-ko-lstm",
    "sentiment-en-gru",
    "sentiment-en-lstm",
    "sentiment-en-rnn",
    "weather-gru",
    "weather-lstm",
    "chars-python-lstm",
    "chars-ko-lstm",
}
LANGUAGE_MODELS = {"chars-python-lstm", "chars-ko-lstm"}


def test_there_is_one_recipe_per_shipped_model() -> None:
    assert set(RECIPES) == SHIPPED_IDS


@pytest.mark.parametrize("model_id", sorted(SHIPPED_IDS))
def test_recipes_stay_small_enough_to_read_on_screen(model_id: str) -> None:
    recipe = RECIPES[model_id]
    cell_name = "RNN" if recipe.cell == "rnn" else recipe.cell.upper()

    if model_id in LANGUAGE_MODELS:  # the size: 128-256 units, 1-2 layers
        assert 128 <= recipe.hidden_size <= 256 and recipe.num_layers <= 2
        assert recipe.task == "next-token" and recipe.cell == "lstm"
    else:
        assert 16 <= recipe.hidden_size <= 64
    assert cell_name in recipe.title and f"{recipe.hidden_size} units" in recipe.title


def test_data_dir_defaults_to_the_shared_folder_beside_the_project() -> None:
    default = inspect.signature(train).parameters["data_dir"].default

    assert default == DATA_DIR


def test_missing_data_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nsmc" / "ratings_train.tsv")):
        train("sentiment-ko-gru", tmp_path, tmp_path / "out", progress=False)
    with pytest.raises(FileNotFoundError, match="seattle-weather.csv"):
        train("weather-gru", tmp_path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_unknown_model_id_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="sentiment-ko-gru"):
        train("sentiment-fr-gru", tmp_path, tmp_path, progress=False)


def test_batch_morphemes_equal_the_servers_morpheme_tokens() -> None:
    texts = ["나는 밥을 먹었다.", "이 영화 진짜 재밌다ㅋㅋ!!", "", "OK 그냥 so-so...", "   "]

    assert morpheme_batch(texts) == [morpheme_tokens(text) for text in texts]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_morphemes_are_cached_under_the_data_dir_when_one_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATESCOPE_DATA_DIR", str(tmp_path / "data"))

    assert datasets.morpheme_cache_dir() == tmp_path / "data" / "cache" / "morphemes"


@pytest.mark.usefixtures("fresh_settings")
def test_morphemes_are_cached_in_the_user_cache_dir_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATESCOPE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    folder = datasets.morpheme_cache_dir()

    assert folder == tmp_path / "gatescope" / "morphemes"
    assert PROJECT_ROOT not in folder.parents and Path("/tmp/gatescope-morphemes") != folder


@pytest.mark.usefixtures("fresh_settings")
def test_cached_morphemes_are_analysed_once_and_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATESCOPE_DATA_DIR", str(tmp_path))
    calls: list[list[str]] = []

    def analyse(texts: list[str]) -> list[list[str]]:
        calls.append(texts)
        return [text.split() for text in texts]

    monkeypatch.setattr(datasets, "morpheme_batch", analyse)
    texts = ["나는 밥을", "먹었다"]

    first = datasets.cached_morphemes(texts)
    second = datasets.cached_morphemes(texts)

    assert first == second == [["나는", "밥을"], ["먹었다"]]
    assert calls == [texts]
    written = [path.name for path in (tmp_path / "cache" / "morphemes").iterdir()]
    assert len(written) == 1 and written[0].endswith(".json")  # no .partial left behind


def two_block_regression() -> GateNet:
    """A GRU block feeding a 2-layer LSTM block, then Dense(3, tanh) -> Dense(1)."""
    config = ModelConfig(
        id="two-blocks",
        title="Two blocks",
        task="regression",
        blocks=[
            RecurrentSpec(cell="gru", input_size=2, hidden_size=4),
            RecurrentSpec(cell="lstm", input_size=4, hidden_size=3, num_layers=2),
        ],
        head=[DenseSpec(out_features=3, activation="tanh"), DenseSpec(out_features=1)],
        preprocessing=NumbersPreprocessing(features=["a", "b"], seq_length=5),
    )
    torch.manual_seed(0)
    return GateNet(config)


def test_training_forward_is_the_network_itself_in_eval_mode() -> None:
    network = two_block_regression().eval()
    features = torch.randn(6, 5, 2)

    with torch.no_grad():
        trained = forward_with_dropout(network, features, dropout=0.5, head_dropout=0.5)

    torch.testing.assert_close(trained, network(features), rtol=0, atol=0)


def test_training_forward_drops_out_only_in_training_mode() -> None:
    network = two_block_regression().train()
    features = torch.randn(6, 5, 2)

    with torch.no_grad():
        dropped = forward_with_dropout(network, features, dropout=0.5, head_dropout=0.5)

    assert not torch.equal(dropped, network(features))


def test_train_step_reports_the_batch_loss_and_moves_every_parameter() -> None:
    network = two_block_regression()
    before = {name: value.clone() for name, value in network.named_parameters()}
    inputs, targets = torch.randn(8, 5, 2), torch.randn(8)
    optimiser = torch.optim.SGD(network.parameters(), lr=0.1)

    def loss_fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(network(x)[:, 0], y)

    with torch.no_grad():
        expected = loss_fn(inputs, targets).item()
    step = train_step(network, loss_fn, inputs, targets, optimiser, gradient_clip=1.0)

    assert step.rows == 8 and step.loss == pytest.approx(expected, abs=1e-7)
    moved = {
        name for name, value in network.named_parameters() if not torch.equal(value, before[name])
    }
    assert moved == set(before)


def check_trained(report: TrainReport, out_dir: Path, metric: str) -> None:
    directory = out_dir / report.model_id
    assert report.directory == directory
    model = load_model(directory)
    assert model.id == report.model_id
    assert model.config.examples
    for example in model.config.examples:
        traced = model.run_trace(example)
        assert traced.trace.steps == traced.prepared.steps
    card = model.card
    assert f"gatescope train {report.model_id}" in card
    assert metric in card and "Wall time" in card and "Intended use" in card
    assert report.epochs_run == 1 and report.seconds > 0
    assert "a quick run" in card and "epochs=1" in card


@needs_data
@pytest.mark.data
@pytest.mark.parametrize(
    ("model_id", "data_file"),
    [
        pytest.param("sentiment-ko-lstm", "nsmc/ratings_train.tsv", id="korean-morphemes"),
        pytest.param("sentiment-en-rnn", "movie_snippets/movie_snippets.tsv", id="english"),
    ],
)
def test_a_tiny_sentiment_run_writes_a_loadable_traceable_model(
    tmp_path: Path, model_id: str, data_file: str
) -> None:
    report = train(model_id, DATA_DIR, tmp_path, limit=300, epochs=1, progress=False, threads=1)

    check_trained(report, tmp_path, "accuracy")
    assert 0.0 <= report.metrics["accuracy"] <= 1.0
    assert report.held_out_rows == 300
    model = load_model(tmp_path / model_id)
    assert data_file in model.card
    assert model.config.preprocessing.padding == "pre"  # type: ignore[union-attr]
    expected = "morpheme" if model_id.startswith("sentiment-ko") else "whitespace"
    assert model.config.preprocessing.analyzer == expected  # type: ignore[union-attr]
    assert model.config.labels == ["negative", "positive"]


@needs_data
@pytest.mark.data
def test_a_tiny_weather_run_reports_rmse_against_persistence(tmp_path: Path) -> None:
    report = train(
        "weather-lstm", DATA_DIR, tmp_path, limit=200, epochs=1, progress=False, threads=1
    )

    check_trained(report, tmp_path, "RMSE")
    assert report.metrics["rmse"] > 0 and report.metrics["persistence_rmse"] > 0
    model = load_model(tmp_path / "weather-lstm")
    spec = model.config.preprocessing
    assert spec.features == ["precipitation", "temp_max", "temp_min", "wind"]  # type: ignore[union-attr]
    assert spec.target == "temp_max" and spec.target_unit == "°C"  # type: ignore[union-attr]
    assert [(block.cell, block.num_layers) for block in model.config.blocks] == [("lstm", 2)]
    assert [(d.out_features, d.activation) for d in model.config.head] == [
        (100, "relu"),
        (50, "relu"),
        (1, "linear"),
    ]
    truth = held_out("weather-lstm", DATA_DIR)
    assert len(truth.targets) == 365
    assert all(window in truth.inputs for window in model.config.examples)
    assert {prediction.unit for prediction in model.predict(truth.inputs[:5])} == {"°C"}


@needs_data
@pytest.mark.data
def test_training_is_seeded(tmp_path: Path) -> None:
    first = train(
        "weather-gru", DATA_DIR, tmp_path / "a", limit=100, epochs=1, progress=False, threads=1
    )
    second = train(
        "weather-gru", DATA_DIR, tmp_path / "b", limit=100, epochs=1, progress=False, threads=1
    )

    assert first.metrics == second.metrics
    weights_a = load_file(str(first.directory / "weights.safetensors"))
    weights_b = load_file(str(second.directory / "weights.safetensors"))
    assert all((weights_a[name] == weights_b[name]).all() for name in weights_a)


@needs_data
@pytest.mark.data
def test_training_restores_torch_thread_count(tmp_path: Path) -> None:
    torch.set_num_threads(1)

    train("weather-gru", DATA_DIR, tmp_path, limit=50, epochs=1, progress=False, threads=2)

    assert torch.get_num_threads() == 1


@needs_data
@pytest.mark.data
def test_english_held_out_part_is_a_tenth_and_never_trained_on() -> None:
    truth = held_out("sentiment-en-gru", DATA_DIR)

    assert 1000 <= len(truth.inputs) <= 1100  # 10 % of the rows with a non-zero score
    assert set(truth.targets) == {0.0, 1.0}


@needs_data
@pytest.mark.data
def test_progress_bar_reports_epochs_loss_and_the_held_out_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train("weather-gru", DATA_DIR, tmp_path, limit=60, epochs=2, progress=True, threads=1)

    shown = capsys.readouterr().out
    assert "weather-gru epoch 2/2" in shown and "loss" in shown and "validation RMSE" in shown
