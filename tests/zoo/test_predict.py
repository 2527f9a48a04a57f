"""predict() and run_trace() agree; parameter counts follow the notes' formulas."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from app.zoo import InputError, LoadedModel, ModelConfig
from app.zoo.errors import InputErrors
from tests.zoo.builders import loaded, numbers_config, text_config

CONFIGS = [
    pytest.param(text_config("gru"), id="text-gru"),
    pytest.param(text_config("lstm"), id="text-lstm"),
    pytest.param(text_config("rnn"), id="text-rnn"),
    pytest.param(text_config("gru", num_layers=2, bidirectional=True), id="text-bigru-2"),
    pytest.param(text_config("lstm", padding="post", mask_padding=True), id="text-lstm-masked"),
    pytest.param(numbers_config("gru"), id="numbers-gru-2"),
    pytest.param(numbers_config("lstm", bidirectional=True), id="numbers-bilstm-2"),
    pytest.param(numbers_config("rnn", scaled=False, features=("level",)), id="series-rnn"),
]
TEXTS = ["a truly great film", "the movie was bad", "zebra", "good good good good good good good"]
NUMBERS = [[[0.0, 1.0, 2.0, 3.0]] * 3, [[5.0, -4.0, 3.0, -2.0], [1.0, 1.0, 1.0, 1.0]]]


def inputs_for(model: LoadedModel) -> list[object]:
    if model.config.input_kind == "text":
        return list(TEXTS)
    width = model.config.blocks[0].input_size
    return [[row[:width] for row in raw] for raw in NUMBERS]


@pytest.mark.parametrize("config", CONFIGS)
def test_predict_agrees_with_run_trace(config: ModelConfig) -> None:
    model = loaded(config, seed=5)
    raws = inputs_for(model)

    predictions = model.predict(raws)
    traced = [model.run_trace(raw).prediction for raw in raws]

    for predicted, from_trace in zip(predictions, traced, strict=True):
        assert predicted.label == from_trace.label
        assert predicted.as_dict().keys() == from_trace.as_dict().keys()
        for key, value in predicted.as_dict().items():
            if isinstance(value, float):
                assert value == pytest.approx(from_trace.as_dict()[key], abs=1e-9), key


@pytest.mark.parametrize("config", CONFIGS)
def test_run_trace_covers_every_step_and_layer(config: ModelConfig) -> None:
    model = loaded(config, seed=6)
    raw = inputs_for(model)[0]

    traced = model.run_trace(raw)

    assert traced.trace.steps == traced.prepared.steps
    assert traced.trace.num_layers == config.blocks[0].num_layers
    assert traced.trace.cell == config.cell


@pytest.mark.parametrize(
    "config",
    [p for p in CONFIGS if "bi" not in str(p.id)],
)
def test_the_last_step_prediction_is_the_prediction(config: ModelConfig) -> None:
    model = loaded(config, seed=7)

    traced = model.run_trace(inputs_for(model)[1])

    assert traced.step_predictions is not None
    assert len(traced.step_predictions) == traced.prepared.steps
    last, final = traced.step_predictions[-1].as_dict(), traced.prediction.as_dict()
    assert last.keys() == final.keys()
    for key, value in last.items():
        assert value == pytest.approx(final[key], abs=1e-9)


def test_bidirectional_models_have_no_step_predictions() -> None:
    model = loaded(text_config("gru", bidirectional=True))

    assert model.run_trace("a great film").step_predictions is None


def test_predict_matches_the_network_run_by_hand() -> None:
    model = loaded(text_config("lstm", maxlen=5), seed=8)
    ids = torch.tensor([model.prepare("the movie was good").token_ids])

    with torch.no_grad():
        expected = model.network(model.network.embed(ids))[0, 0].item()
    prediction = model.predict(["the movie was good"])[0]

    assert prediction.positive_probability == pytest.approx(expected, abs=1e-12)
    assert prediction.label == ("positive" if expected >= 0.5 else "negative")
    assert prediction.probability == pytest.approx(max(expected, 1 - expected), abs=1e-12)


def test_regression_predictions_are_in_original_units() -> None:
    model = loaded(numbers_config("gru"), seed=9)  # target scaled from [-10, 10]
    raw = [[1.0, 2.0, 3.0, 4.0]] * 3

    with torch.no_grad():
        scaled = model.network(model.prepare(raw).features)[0, 0].item()
    prediction = model.predict([raw])[0]

    assert prediction.value == pytest.approx(scaled * 20 - 10, abs=1e-9)
    assert prediction.as_dict() == {"value": prediction.value, "unit": "°C"}


def test_predict_names_the_bad_input_by_its_position() -> None:
    model = loaded(numbers_config("gru", features=("a", "b")))

    with pytest.raises(InputError) as caught:
        model.predict([[[1, 2]], [[1, 2], [3, float("nan")]]])

    assert caught.value.field == "inputs[1][1][1]"
    assert (caught.value.code, caught.value.params) == ("not_finite", {"got": "nan"})


@pytest.mark.parametrize(
    ("config", "raw", "field", "code"),
    [
        pytest.param(text_config("gru"), "   ", "inputs[0]", "empty_text", id="blank"),
        pytest.param(text_config("gru"), "?!...", "inputs[0]", "no_words", id="punctuation"),
        pytest.param(text_config("gru"), "a \udcff film", "inputs[0]", "not_utf8", id="surrogate"),
        pytest.param(text_config("gru"), [1.0], "inputs[0]", "not_text", id="numbers-for-text"),
        pytest.param(
            numbers_config("gru", features=("a", "b")),
            [[1, 2, 3]],
            "inputs[0][0]",
            "wrong_width",
            id="wide",
        ),
        pytest.param(
            numbers_config("gru", features=("a", "b")),
            [[1, 10**400]],
            "inputs[0][0][1]",
            "too_large_number",
            id="huge-integer",
        ),
        pytest.param(
            numbers_config("gru", features=("a", "b")),
            "1, 2",
            "inputs[0]",
            "not_steps",
            id="text-for-numbers",
        ),
    ],
)
def test_predict_refuses_bad_inputs_with_the_validators_codes(
    config: ModelConfig, raw: object, field: str, code: str
) -> None:
    with pytest.raises(InputError) as caught:
        loaded(config).predict([raw])

    assert (caught.value.field, caught.value.code) == (field, code)


def test_predict_reports_every_bad_value_of_an_input_together() -> None:
    model = loaded(numbers_config("gru", features=("a", "b")))

    with pytest.raises(InputErrors) as caught:
        model.predict([[[1, "x"], [float("inf"), 2]]], max_steps=5)

    assert [(error.field, error.code) for error in caught.value.errors] == [
        ("inputs[0][0][1]", "not_a_number"),
        ("inputs[0][1][0]", "not_finite"),
    ]


# -- parameters ---------------------------------------------------------------------------------

BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def recurrent_layer_count(cell: str, inputs: int, units: int, directions: int) -> int:
    """The notes' formula, PyTorch flavour (two bias vectors): blocks * (h(i + h) + 2h)."""
    return directions * BLOCKS[cell] * (units * (inputs + units) + 2 * units)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
def test_parameter_counts_follow_the_formulas_and_sum_to_the_total(
    cell: str, bidirectional: bool
) -> None:
    config = text_config(
        cell, num_layers=2, bidirectional=bidirectional, hidden_size=5, embedding_dim=4
    )
    model = loaded(config)
    directions = 2 if bidirectional else 1
    vocabulary = config.embedding.num_embeddings  # type: ignore[union-attr]

    counts = model.parameter_counts()

    assert [row["key"] for row in counts] == ["embedding", "blocks.0.0", "blocks.0.1", "head.0"]
    assert [row["name"] for row in counts] == [
        "Embedding",
        f"{cell.upper()} layer 1",
        f"{cell.upper()} layer 2",
        "Dense 1",
    ]
    assert [row["parameters"] for row in counts] == [
        vocabulary * 4,
        recurrent_layer_count(cell, 4, 5, directions),
        recurrent_layer_count(cell, 5 * directions, 5, directions),
        5 * directions + 1,
    ]
    assert sum(row["parameters"] for row in counts) == model.total_parameters
    native = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell](
        4, 5, num_layers=2, bidirectional=bidirectional
    )
    assert counts[1]["parameters"] + counts[2]["parameters"] == sum(
        p.numel() for p in native.parameters()
    )


def test_gru_has_three_quarters_of_the_lstm_recurrent_parameters() -> None:
    gru = loaded(text_config("gru", hidden_size=8)).parameter_counts()[1]["parameters"]
    lstm = loaded(text_config("lstm", hidden_size=8)).parameter_counts()[1]["parameters"]

    assert gru * 4 == lstm * 3


def test_numbers_model_counts_have_no_embedding_and_one_row_per_dense() -> None:
    model = loaded(numbers_config("lstm"))  # 4 features, 2 x 5 units, Dense 7 -> Dense 1

    counts = model.parameter_counts()

    assert [row["parameters"] for row in counts] == [
        recurrent_layer_count("lstm", 4, 5, 1),
        recurrent_layer_count("lstm", 5, 5, 1),
        5 * 7 + 7,
        7 + 1,
    ]
    assert sum(row["parameters"] for row in counts) == model.total_parameters


def test_a_value_that_overflows_once_scaled_is_named_with_its_code() -> None:
    config = numbers_config("gru", features=("a",))
    narrow = config.preprocessing.model_copy(update={"scaler_min": [0.0], "scaler_max": [1e-30]})
    model = loaded(config.model_copy(update={"preprocessing": narrow}), dtype=torch.float32)

    with pytest.raises(InputError) as caught:
        model.predict([[0.5, 1e10]])

    assert (caught.value.field, caught.value.code) == ("inputs[0][1][0]", "too_large_after_scaling")
    assert caught.value.params == {"got": "10000000000.0"}
