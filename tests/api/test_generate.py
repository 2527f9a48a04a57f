"""POST /api/v1/models/{id}/generate: a language model writes, seeded, with the trace of it all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.preprocessing.chars import char_labels, char_tokenizer
from app.zoo import GateNet, ModelConfig, save_model
from app.zoo.spec import DenseSpec, EmbeddingSpec, RecurrentSpec, TextPreprocessing
from tests.conftest import tiny_text_config

CHAR_TEXTS = ["def f(x):\n    return x + 1\n", "class A:\n    pass\n# done\n"]


def tiny_char_config(model_id: str = "tiny-chars-lstm") -> ModelConfig:
    tokenizer = char_tokenizer(CHAR_TEXTS)
    vocabulary = tokenizer.vocab_size
    return ModelConfig(
        id=model_id,
        title="Tiny character LSTM",
        task="next-token",
        embedding=EmbeddingSpec(num_embeddings=vocabulary, embedding_dim=4),
        blocks=[RecurrentSpec(cell="lstm", input_size=4, hidden_size=6)],
        head=[DenseSpec(out_features=vocabulary, activation="softmax")],
        preprocessing=TextPreprocessing(
            tokenizer=json.loads(tokenizer.to_json()), maxlen=200, truncating="post"
        ),
        labels=char_labels(tokenizer),
        examples=["def "],
    )


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("lm-models")
    for config in (tiny_char_config(), tiny_text_config("tiny-text-gru", "gru")):
        torch.manual_seed(0)
        save_model(GateNet(config), config, "# tiny\n", root / config.id)
    settings = Settings(models_dir=root, data_dir=tmp_path_factory.mktemp("lm-data"))
    with TestClient(create_app(settings)) as client:
        yield client


def generate(client: TestClient, body: dict[str, Any], model: str = "tiny-chars-lstm") -> Any:
    return client.post(f"/api/v1/models/{model}/generate", json=body)


def test_writing_returns_text_candidates_and_one_trace_step_per_character(
    writer: TestClient,
) -> None:
    response = generate(writer, {"prompt": "def ", "length": 30, "top_k": 4, "seed": 1})
    body = response.json()

    assert response.status_code == 200
    assert len(body["text"]) == 30
    assert [step["token"] for step in body["steps"]] == list(body["text"])
    assert [step["step"] for step in body["steps"]] == list(range(4, 34))
    assert all(len(step["top"]) == 4 for step in body["steps"])
    assert all(step["token"] in {c["label"] for c in step["top"]} for step in body["steps"])
    assert body["trace"]["tokens"] == list("def " + body["text"])


def test_seeded_writing_is_repeatable_and_seeds_differ(writer: TestClient) -> None:
    request = {"prompt": "class ", "length": 60, "temperature": 1.5, "seed": 7}
    first, again = generate(writer, request).json(), generate(writer, request).json()
    other = generate(writer, {**request, "seed": 8}).json()

    assert first == again
    assert other["text"] != first["text"]


def test_the_trace_equals_the_trace_endpoints_for_the_same_text(writer: TestClient) -> None:
    body = generate(writer, {"prompt": "x = ", "length": 25, "seed": 3}).json()
    traced = writer.post(
        "/api/v1/models/tiny-chars-lstm/trace", json={"input": "x = " + body["text"]}
    ).json()

    assert body["trace"] == traced


def test_candidates_at_each_written_step_are_the_traces_step_predictions(
    writer: TestClient,
) -> None:
    body = generate(writer, {"prompt": "def ", "length": 10, "seed": 2}).json()
    steps = body["trace"]["step_predictions"]

    for step in body["steps"]:
        expected = steps[step["step"] - 1]["top"]  # what the model expected after the step before
        assert [c["label"] for c in step["top"]] == [c["label"] for c in expected]
        for got, want in zip(step["top"], expected, strict=True):
            assert got["probability"] == pytest.approx(want["probability"], abs=2e-4)


def test_temperature_zero_writes_the_likeliest_character_each_time(writer: TestClient) -> None:
    body = generate(writer, {"prompt": "def ", "length": 15, "temperature": 0}).json()

    assert all(step["token"] == step["top"][0]["label"] for step in body["steps"])


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        pytest.param({"prompt": "   ", "length": 5}, "empty_text", "prompt", id="blank-prompt"),
        pytest.param({"prompt": "def", "length": 2001}, "above_maximum", "length", id="too-long"),
        pytest.param({"prompt": "def", "length": 0}, "below_minimum", "length", id="no-length"),
        pytest.param(
            {"prompt": "def", "temperature": -1}, "below_minimum", "temperature", id="cold"
        ),
        pytest.param({"prompt": "def", "top_k": 0}, "below_minimum", "top_k", id="top-k-zero"),
        pytest.param({"prompt": 3}, "not_a_string", "prompt", id="prompt-not-text"),
        pytest.param(
            {"prompt": "a" * 190, "length": 20}, "too_long_writing", "length", id="maxlen"
        ),
    ],
)
def test_bad_requests_get_the_one_error_shape(
    writer: TestClient, body: dict[str, Any], code: str, field: str
) -> None:
    response = generate(writer, body)
    item = response.json()["detail"][0]

    assert response.status_code == 422
    assert (item["code"], item["field"]) == (code, field)


def test_a_model_that_does_not_predict_the_next_token_cannot_write(writer: TestClient) -> None:
    response = generate(writer, {"prompt": "a great film", "length": 5}, model="tiny-text-gru")
    item = response.json()["detail"][0]

    assert response.status_code == 422
    assert item["code"] == "not_a_language_model"
    assert item["params"] == {"task": "sentiment"}


def test_generate_is_in_the_openapi_document_with_its_limits(writer: TestClient) -> None:
    document = writer.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/models/{model_id}/generate"]["post"]
    schema = document["components"]["schemas"]["GenerateRequest"]["properties"]

    assert "200" in operation["responses"] and "404" in operation["responses"]
    assert schema["length"]["maximum"] == 2000
    assert "not_a_language_model" in json.dumps(document)


def test_unknown_model_is_a_404(writer: TestClient, tmp_path: Path) -> None:
    response = generate(writer, {"prompt": "def"}, model="nope")

    assert response.status_code == 404
    assert response.json()["detail"][0]["code"] == "unknown_model"


def test_cells_are_a_404_until_found_then_served(tmp_path: Path) -> None:
    from app.zoo.store import write_cells

    config = tiny_char_config()
    torch.manual_seed(0)
    save_model(GateNet(config), config, "# tiny\n", tmp_path / "models" / config.id)
    settings = Settings(models_dir=tmp_path / "models", data_dir=tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        missing = client.get("/api/v1/models/tiny-chars-lstm/cells")
    write_cells(tmp_path / "models" / config.id, {"model": config.id, "best": []})
    with TestClient(create_app(settings)) as client:
        found = client.get("/api/v1/models/tiny-chars-lstm/cells")

    assert missing.status_code == 404
    assert missing.json()["detail"][0]["code"] == "no_cells"
    assert found.status_code == 200 and found.json() == {"model": config.id, "best": []}
