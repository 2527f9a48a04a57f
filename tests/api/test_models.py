"""GET /api/v1/models and /api/v1/models/{id}; /healthz."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.schemas import ModelDetail, ModelList
from app.zoo.training import RECIPES
from tests.conftest import TINY_IDS


def test_healthz_answers_ok_with_the_model_count(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "models": len(TINY_IDS)}


def test_models_lists_every_model_with_its_summary(client: TestClient) -> None:
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    listing = ModelList.model_validate(response.json())
    assert listing.count == len(TINY_IDS)
    assert sorted(model.id for model in listing.data) == TINY_IDS
    text = next(model for model in listing.data if model.id == "tiny-text-gru")
    assert text.model_dump() == {
        "id": "tiny-text-gru",
        "title": "Tiny GRU sentiment",
        "source": "shipped",
        "cell": "gru",
        "task": "sentiment",
        "language": "en",
        "input_kind": "text",
        "features": None,
        "seq_length": 6,
        "hidden_size": 3,
        "num_layers": 1,
        "bidirectional": False,
        "nonlinearity": "tanh",
        "blocks": [
            {
                "block": 0,
                "cell": "gru",
                "layers": 1,
                "bidirectional": False,
                "units": 3,
                "nonlinearity": "tanh",
                "reset_after": True,
            }
        ],
        "labels": ["negative", "positive"],
        "parameters": text.parameters,
        "translations": {},
    }
    numbers = next(model for model in listing.data if model.id == "tiny-numbers-lstm")
    assert numbers.features == ["temperature", "pressure"]
    assert (numbers.input_kind, numbers.seq_length, numbers.language) == ("numbers", 4, None)
    assert (numbers.num_layers, numbers.task, numbers.labels) == (2, "regression", None)
    chain = next(model for model in listing.data if model.id == "tiny-chain-classes")
    assert (chain.cell, chain.task, chain.num_layers, chain.bidirectional) == (
        "mixed",
        "classification",
        2,
        True,
    )
    assert [(block.cell, block.units, block.bidirectional) for block in chain.blocks] == [
        ("lstm", 5, True),
        ("gru", 3, False),
    ]
    assert chain.labels == ["sad", "calm", "happy", "angry"]


def test_chain_detail_names_every_layer_by_block(client: TestClient) -> None:
    detail = ModelDetail.model_validate(client.get("/api/v1/models/tiny-chain-series").json())
    assert [(count.key, count.name) for count in detail.parameter_counts] == [
        ("blocks.0.0", "Block 1 · GRU layer 1"),
        ("blocks.1.0", "Block 2 · LSTM layer 1"),
        ("blocks.1.1", "Block 2 · LSTM layer 2"),
        ("head.0", "Dense 1"),
    ]
    assert [block.reset_after for block in detail.blocks] == [False, True]
    assert sum(count.parameters for count in detail.parameter_counts) == detail.parameters


def test_model_detail_adds_parameter_counts_card_and_examples(
    client: TestClient, model_of: object
) -> None:
    response = client.get("/api/v1/models/tiny-text-gru")
    assert response.status_code == 200
    detail = ModelDetail.model_validate(response.json())
    assert [count.name for count in detail.parameter_counts] == [
        "Embedding",
        "GRU layer 1",
        "Dense 1",
    ]
    # GRU: 3 gates x (input 4 + hidden 3 + 2 biases) x 3 units.
    assert detail.parameter_counts[1].parameters == 3 * 3 * (4 + 3 + 2)
    assert sum(count.parameters for count in detail.parameter_counts) == detail.parameters
    assert detail.card.startswith("# Tiny GRU sentiment")
    assert detail.examples == ["a great film"]
    assert detail.labels == ["negative", "positive"]


def test_model_detail_of_a_regression_names_its_target(client: TestClient) -> None:
    detail = client.get("/api/v1/models/tiny-numbers-lstm").json()
    assert (detail["target"], detail["target_unit"]) == ("temperature", "°C")
    assert [count["name"] for count in detail["parameter_counts"]] == [
        "LSTM layer 1",
        "LSTM layer 2",
        "Dense 1",
    ]


def test_unknown_model_is_a_404_naming_the_known_ones(client: TestClient) -> None:
    response = client.get("/api/v1/models/no-such-model")
    assert response.status_code == 404
    body = response.json()
    assert body["detail"][0]["loc"] == ["path", "model_id"]
    assert body["detail"][0]["type"] == "not_found"
    assert "'no-such-model' is not a known model" in body["message"]
    assert "tiny-text-gru" in body["message"]


@pytest.mark.parametrize("verb", ["trace", "predict"])
def test_unknown_model_is_a_404_for_trace_and_predict(client: TestClient, verb: str) -> None:
    body = {"input": "x"} if verb == "trace" else {"inputs": ["x"]}
    response = client.post(f"/api/v1/models/nope/{verb}", json=body)
    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "model_id"


def test_shipped_models_are_all_served_with_lstm_bigger_than_gru(shipped: httpx.Client) -> None:
    listing = shipped.get("/api/v1/models").json()
    ids = {model["id"] for model in listing["data"]}
    assert set(RECIPES) <= ids  # every shipped model has a recipe (tests/zoo/test_train.py)
    sizes = {
        model_id: shipped.get(f"/api/v1/models/{model_id}").json()["parameter_counts"]
        for model_id in ("sentiment-ko-gru", "sentiment-ko-lstm")
    }
    gru_layer = next(c for c in sizes["sentiment-ko-gru"] if c["name"].startswith("GRU"))
    lstm_layer = next(c for c in sizes["sentiment-ko-lstm"] if c["name"].startswith("LSTM"))
    # Same sizes: an LSTM layer has 4 blocks of weights where a GRU has 3.
    assert lstm_layer["parameters"] * 3 == gru_layer["parameters"] * 4


def test_shipped_models_speak_korean_titles_features_and_labels(shipped: httpx.Client) -> None:
    for summary in shipped.get("/api/v1/models").json()["data"]:
        if summary["source"] != "shipped":
            continue
        korean = summary["translations"]["ko"]
        assert korean["title"] and korean["title"] != summary["title"], summary["id"]
        assert any("\uac00" <= char <= "\ud7a3" for char in korean["title"]), korean["title"]
        if summary["task"] == "regression":
            assert len(korean["features"]) == len(summary["features"])
        elif summary["task"] == "sentiment":
            assert korean["labels"] == ["부정", "긍정"]
    weather = shipped.get("/api/v1/models/weather-gru").json()["translations"]["ko"]
    assert weather["features"] == ["강수량", "최고 기온", "최저 기온", "풍속"]
    assert "시애틀" in weather["description"]
