"""docs/model-format.md: gatescope's model format, with the JSON Schema of config.json generated
from ModelConfig, so the document cannot drift from the code.

Regenerate after changing app/zoo/spec.py:  python -m app.importers.format_doc
(tests/importers/test_model_format_doc.py fails until the file matches).
"""
# ruff: noqa: E501  (Markdown tables in PROSE cannot be wrapped)

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.config import PROJECT_ROOT
from app.zoo import ModelConfig

DOC_PATH = PROJECT_ROOT / "docs" / "model-format.md"

EXAMPLE = {
    "format_version": 1,
    "id": "weather-gru",
    "title": "Temperature from the last 10 hours",
    "task": "regression",
    "recurrent": {"cell": "gru", "input_size": 4, "hidden_size": 50, "num_layers": 2},
    "head": [
        {"out_features": 100, "activation": "relu"},
        {"out_features": 50, "activation": "relu"},
        {"out_features": 1},
    ],
    "preprocessing": {
        "kind": "numbers",
        "features": ["temperature", "pressure", "humidity", "wind"],
        "seq_length": 10,
        "scaler_min": [-12.0, 980.0, 10.0, 0.0],
        "scaler_max": [38.0, 1040.0, 100.0, 20.0],
        "target": "temperature",
        "target_unit": "°C",
        "target_min": -12.0,
        "target_max": 38.0,
    },
}

KERAS_COMPANION = {
    "title": "주가 예측 GRU",
    "preprocessing": {
        "features": ["open", "high", "low", "close"],
        "scaler_min": [10.0, 11.0, 9.0, 10.0],
        "scaler_max": [90.0, 95.0, 88.0, 92.0],
        "target": "close",
        "target_min": 10.0,
        "target_max": 92.0,
    },
}

PROSE = """\
# gatescope's model format

A gatescope model is a folder (`models/<id>/` for shipped models, `<GATESCOPE_DATA_DIR>/models/<id>/`
for uploads) holding three files:

| file | what it holds |
| --- | --- |
| `config.json` | everything needed to rebuild, run and describe the model: the JSON Schema below |
| `weights.safetensors` | the state dict of `GateNet` (app/zoo/network.py), in [safetensors](https://github.com/huggingface/safetensors) |
| `card.md` | a Markdown model card (optional) |

Nothing in a model folder is ever unpickled or executed. A folder appears all at once: it is
written under a hidden name and renamed into place when complete.

## The network

`GateNet` is `[Embedding] -> nn.RNN | nn.LSTM | nn.GRU (batch_first) -> Dense head`. The head reads
the top layer's final hidden state (both directions side by side when bidirectional), which is
what a Keras recurrent layer with `return_sequences=False` returns. Its state dict names are
PyTorch's own:

| tensor | shape |
| --- | --- |
| `embedding.weight` | (num_embeddings, embedding_dim), text models only |
| `recurrent.weight_ih_l{k}[_reverse]` | (gates * hidden_size, input of layer k) |
| `recurrent.weight_hh_l{k}[_reverse]` | (gates * hidden_size, hidden_size) |
| `recurrent.bias_ih_l{k}[_reverse]`, `recurrent.bias_hh_l{k}[_reverse]` | (gates * hidden_size,), when `bias` |
| `head.layers.{i}.weight`, `head.layers.{i}.bias` | (out_features, in_features), (out_features,) |

`gates` is 1 for RNN, 4 for LSTM (blocks i, f, g, o) and 3 for GRU (blocks r, z, n); `_reverse`
is the backward direction of a bidirectional module. Weights are float32 (or all float64).

The task fixes how the output is read: `sentiment` ends in `Dense(1, sigmoid)` (the probability
of `labels[1]`), `regression` ends in one output (put back into original units with
`target_min`/`target_max` when the target was min-max scaled).

## Making a model in PyTorch

```python
from safetensors.torch import save_file
from app.zoo import GateNet, ModelConfig

config = ModelConfig.model_validate_json(open("config.json").read())
network = GateNet(config)
# ... train it, or copy your own nn.GRU's parameters into network.recurrent ...
save_file(network.state_dict(), "weights.safetensors")
```

Upload `weights.safetensors` as `file` and `config.json` as `config` (`POST /api/v1/models`, the
explorer's "use your own model" form, or `gatescope import weights.safetensors`). A state dict
saved with `torch.save(network.state_dict(), "model.pt")` works too: gatescope opens it with
`torch.load(..., weights_only=True)` only, so a file that would run code is refused. A zip of a
model folder (`config.json`, `weights.safetensors`, `card.md`) is imported as it is.

## Importing Keras models

`.keras` (Keras 3) and legacy `.h5` files are read without Keras, from their config and weights.
Supported: Sequential and single-chain functional models of `Input`, `Embedding` (also
`mask_zero=True`: padding steps are then skipped, as Keras skips masked steps), `SimpleRNN` (tanh
or relu), `LSTM`, `GRU` (`reset_after=True`), stacked (`return_sequences=True` on every layer but
the last, all layers alike), `Bidirectional` (`merge_mode="concat"`), `use_bias=False`, and `Dense`
(linear, relu, sigmoid, tanh, softmax); `Dropout` and `SpatialDropout1D` are skipped as at
inference. A final `Dense(2, softmax)` becomes `Dense(1, sigmoid)` on the difference of its two
rows (the same probability). Anything PyTorch's modules cannot compute exactly is refused with
the layer and option named: `reset_after=False`, other activations, stacked layers that differ,
`return_sequences=True` on the last recurrent layer, other merge modes, other layers.

Keras converts to PyTorch like this (Keras kernels are `(inputs, units * gates)`, transposed):

| Keras | PyTorch |
| --- | --- |
| LSTM kernel blocks i, f, c, o; one bias | same order; `bias_ih` = bias, `bias_hh` = 0 |
| GRU kernel blocks z, r, h; bias rows (input, recurrent) | blocks r, z, n; `bias_ih` = row 0, `bias_hh` = row 1 |
| SimpleRNN kernel, recurrent kernel, bias | `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` = 0 |

Text models need their tokenizer (`tokenizer.to_json()`, upload field `tokenizer`) and, unless
the model's `Input` fixes it, `maxlen`; `padding` defaults to Keras's `pre`. Numeric models take
their feature names from `features` (default `x1`, `x2`, ...). Anything else can come in a
companion `config.json` (upload field `config`) with any of `title`, `description`,
`language`, `labels`, `examples` and a partial `preprocessing`, for example min-max constants:

```json
{keras_companion}
```

## Example config.json

```json
{example}
```

## JSON Schema of config.json

Generated from `ModelConfig.model_json_schema()` (app/zoo/spec.py) by
`python -m app.importers.format_doc`.

```json
{schema}
```
"""


def schema_json() -> str:
    """ModelConfig's JSON Schema, as the document shows it."""
    return json.dumps(ModelConfig.model_json_schema(), indent=2, ensure_ascii=False)


def render() -> str:
    """The whole document."""
    ModelConfig.model_validate(EXAMPLE)  # the example must stay valid
    return (
        PROSE.replace(
            "{keras_companion}", json.dumps(KERAS_COMPANION, indent=2, ensure_ascii=False)
        )
        .replace("{example}", json.dumps(EXAMPLE, indent=2, ensure_ascii=False))
        .replace("{schema}", schema_json())
    )


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {Path(DOC_PATH).relative_to(PROJECT_ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
