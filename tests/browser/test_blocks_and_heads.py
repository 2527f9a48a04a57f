"""Chains of blocks and every head, in real Chromium, on hand-built payloads of the trace contract.

The payloads are built from real ad-hoc traces (so every number obeys its cell's equations) and
handed to the page through its own run button (ExplorerPage.show_payload). They cover what the
tiny zoo has no real model for: a next-token head, and a classifier whose winner changes twice.
The real chain models (tiny-chain-classes, tiny-chain-series) are in test_chain_models.py.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import httpx

from browser.conftest import ExplorerPage

ROWS = [[math.sin(i / 3), math.cos(i / 5), (i % 4) / 4] for i in range(10)]


def adhoc(api: httpx.Client, cell: str, **options: Any) -> dict[str, Any]:
    body = {"cell": cell, "input_size": 3, "hidden_size": 5, "num_layers": 1, "seed": 2}
    body.update({"bidirectional": False, **options, "input": ROWS})
    return api.post("/api/v1/trace", json=body).raise_for_status().json()


def chain(api: httpx.Client) -> dict[str, Any]:
    """Block 1: a bidirectional LSTM; block 2: a GRU with reset_after=False."""
    lstm = adhoc(api, "lstm", bidirectional=True)
    gru = adhoc(api, "gru")
    layers = []
    for layer in lstm["layers"]:
        layers.append(
            {**layer, "block": 0, "block_layer": 0, "kind": "lstm", "nonlinearity": "tanh"}
        )
    for layer in gru["layers"]:
        top = {**layer, "layer": 1, "block": 1, "block_layer": 0, "kind": "gru"}
        layers.append({**top, "nonlinearity": "tanh", "reset_after": False})
    blocks = [
        {"block": 0, "cell": "lstm", "layers": 1, "bidirectional": True, "units": 5},
        {
            "block": 1,
            "cell": "gru",
            "layers": 1,
            "bidirectional": False,
            "units": 5,
            "reset_after": False,
        },
    ]
    return {**lstm, "cell": "mixed", "blocks": blocks, "layers": layers}


def test_a_chain_of_blocks_labels_each_layer_and_draws_it_by_its_own_kind(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    payload = chain(api)
    explorer.open()
    explorer.show_payload(payload)
    options = explorer.testid("layer-select").locator("option")
    assert options.all_inner_texts() == [
        "Block 1 · LSTM layer 1 · forward →",
        "Block 1 · LSTM layer 1 · ← backward",
        "Block 2 · GRU layer 1 · forward →",
    ]
    assert [options.nth(i).get_attribute("data-kind") for i in range(3)] == ["lstm", "lstm", "gru"]
    assert explorer.plot("gate-plot-forget") is not None  # block 1: the LSTM's gates

    explorer.testid("layer-select").select_option(label="Block 2 · GRU layer 1 · forward →")
    explorer.wait_shown(layer=2, direction="forward")
    gru = payload["layers"][2]
    for gate in ("reset", "update", "candidate"):
        z = explorer.plot(f"gate-plot-{gate}")["z"]
        assert z == [list(column) for column in zip(*gru["gates"][gate], strict=True)]
    assert explorer.page.locator("[data-testid=gate-plot-forget]").count() == 0
    assert explorer.page.locator("[data-testid=cell-plot]").count() == 0

    panel = explorer.testid("equation-panel")
    assert panel.get_attribute("data-cell") == "gru"
    assert panel.get_attribute("data-block") == "2"
    assert panel.get_attribute("data-reset-after") == "false"
    assert explorer.testid("gru-reset-before").is_visible()
    assert "nn.GRU" in explorer.testid("gru-reset-before").inner_text()
    explorer.testid("step-slider").fill("4")
    explorer.wait_shown(step=4)
    equation = explorer.equation()
    r, h_prev = gru["gates"]["reset"][3][0], gru["hidden"][2][0]
    assert abs(equation["values"]["h_prev"] - h_prev) < 1e-12
    assert abs(equation["shown"]["r_h"] - r * h_prev) <= 0.0006  # shown to 3 decimals
    assert explorer.page.locator("[data-testid=equation-panel] .check.ok").count() >= 2
    assert explorer.page.locator("[data-testid=equation-panel] .check.off").count() == 0

    explorer.testid("layer-select").select_option(label="Block 1 · LSTM layer 1 · ← backward")
    explorer.wait_shown(layer=1, direction="backward")
    assert explorer.testid("equation-panel").get_attribute("data-cell") == "lstm"
    assert explorer.page.locator("[data-testid=equation-panel] .check.off").count() == 0
    explorer.assert_clean()


def classification(payload: dict[str, Any]) -> dict[str, Any]:
    """The sentiment trace's steps with a three-class softmax head whose winner changes twice."""
    shaped = copy.deepcopy(payload)
    labels = ["negative", "neutral", "positive"]
    steps = []
    for step in range(shaped["steps"]):
        leader = 0 if step < 3 else 1 if step < 6 else 2
        probabilities = [0.2, 0.2, 0.2]
        probabilities[leader] = 0.6
        classes = [
            {"label": c, "probability": p} for c, p in zip(labels, probabilities, strict=True)
        ]
        steps.append({"label": labels[leader], "probability": 0.6, "classes": classes})
    shaped.update(task="classification", prediction=steps[-1], step_predictions=steps)
    return shaped


def test_a_multi_class_head_shows_every_class_and_the_top_three_as_they_form(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    payload = classification(adhoc(api, "gru"))
    explorer.open()
    explorer.show_payload(payload)
    explorer.page.keyboard.press("End")
    explorer.wait_shown(step=payload["steps"])
    box = explorer.testid("prediction")
    assert box.get_attribute("data-state") == "shown"
    assert box.get_attribute("data-task") == "classification"
    assert box.get_attribute("data-label") == "positive"
    bars = explorer.testid("prediction-classes").locator("[data-testid=prediction-class]")
    assert [bars.nth(i).get_attribute("data-label") for i in range(bars.count())] == [
        "negative",
        "neutral",
        "positive",
    ]
    assert [float(bars.nth(i).get_attribute("data-probability")) for i in range(3)] == [
        0.2,
        0.2,
        0.6,
    ]
    chart = explorer.page.evaluate(
        "() => document.querySelector('[data-testid=prediction-by-step]').data"
        ".map(d => ({name: d.meta, y: d.y}))"
    )
    assert [line["name"] for line in chart][0] == "positive" and len(chart) == 3
    positive = [item["classes"][2]["probability"] for item in payload["step_predictions"]]
    assert chart[0]["y"] == positive
    tipping = explorer.testid("prediction-by-step")
    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-by-step]').dataset.tippingStep"
    )
    assert tipping.get_attribute("data-tipping-step") == "7"  # where the leader last changed
    explorer.assert_clean()


def next_token(payload: dict[str, Any]) -> dict[str, Any]:
    shaped = copy.deepcopy(payload)
    words = ["the", "a", "film", "was", "good", "bad", "not", "very", "it", "and"]
    steps = []
    for step in range(shaped["steps"]):
        top = [
            {"label": words[(step + k) % len(words)], "probability": round(0.5 / (k + 1), 4)}
            for k in range(5)
        ]
        steps.append({"label": top[0]["label"], "probability": top[0]["probability"], "top": top})
    shaped.update(task="next-token", prediction=steps[-1], step_predictions=steps)
    return shaped


def test_a_language_model_shows_the_next_token_candidates_at_every_step(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    payload = next_token(adhoc(api, "lstm"))
    explorer.open()
    explorer.show_payload(payload)
    for step in (1, 3, payload["steps"]):
        explorer.testid("step-slider").fill(str(step))
        explorer.wait_shown(step=step)
        box = explorer.testid("prediction")
        assert box.get_attribute("data-task") == "next-token"
        assert box.get_attribute("data-step") == str(step)
        items = explorer.testid("next-token-candidates").locator(
            "[data-testid=next-token-candidate]"
        )
        shown = [
            (
                items.nth(i).get_attribute("data-label"),
                float(items.nth(i).get_attribute("data-probability")),
            )
            for i in range(items.count())
        ]
        expected = [
            (c["label"], c["probability"]) for c in payload["step_predictions"][step - 1]["top"]
        ]
        assert shown == expected
    explorer.assert_clean()
