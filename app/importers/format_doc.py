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
from app.limits import MAX_BLOCKS, MAX_CLASSES, MAX_LAYERS
from app.zoo import ModelConfig

DOC_PATH = PROJECT_ROOT / "docs" / "model-format.md"

EXAMPLE = {
    "format_version": 2,
    "id": "weather-gru",
    "title": "Temperature from the last 10 hours",
    "task": "regression",
    "blocks": [
        {"cell": "gru", "input_size": 4, "hidden_size": 50},
        {"cell": "gru", "input_size": 50, "hidden_size": 20},
    ],
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
    "translations": {
        "ko": {"title": "최근 10시간으로 본 기온", "features": ["기온", "기압", "습도", "풍속"]}
    },
}

# The same kind of model as format version 1 wrote it: one module under "recurrent".
VERSION_1_EXAMPLE = {
    "format_version": 1,
    "id": "weather-gru-v1",
    "title": "Temperature from the last 10 hours",
    "task": "regression",
    "recurrent": {"cell": "gru", "input_size": 4, "hidden_size": 32, "num_layers": 2},
    "head": [{"out_features": 1}],
    "preprocessing": {"kind": "numbers", "features": ["t", "p", "h", "w"], "seq_length": 10},
}

CLASSIFIER_PARTS = {
    "task": "classification",
    "blocks": [
        {"cell": "lstm", "input_size": 64, "hidden_size": 32, "bidirectional": True},
        {"cell": "gru", "input_size": 64, "hidden_size": 16, "reset_after": False},
    ],
    "head": [{"out_features": 3, "activation": "softmax"}],
    "labels": ["negative", "neutral", "positive"],
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

`GateNet` is `[Embedding] -> block 0 -> block 1 -> ... -> Dense head`. Each entry of `blocks` is
one recurrent module (`nn.RNN`, `nn.LSTM` or `nn.GRU`, batch first) with its own `hidden_size`,
`num_layers` and direction; block `i` reads block `i - 1`'s whole output sequence, so its
`input_size` must equal that block's output width (`hidden_size`, or `proj_size` when set, times 2
when bidirectional). At most {max_blocks} blocks, each of at most {max_layers} layers. Layers alike
in every option may share one block (`num_layers`); a change of cell, size, direction or option
needs a new block. The head reads the last block's final hidden state (both directions side by
side when bidirectional), which is what a Keras recurrent layer with `return_sequences=False`
returns; a `next-token` head reads every step's output instead.

Block options besides `cell`, `input_size`, `hidden_size`, `num_layers` and `bidirectional`:
`bias`, `nonlinearity` (RNN only: `tanh` or `relu`), `proj_size` (LSTM only) and `reset_after`
(GRU only). `reset_after: true`, the default, is `nn.GRU` (and Keras's default):
`n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`. `reset_after: false` is Keras's
`GRU(reset_after=False)`, the original GRU of the class notes, which resets `h` before the product:
`n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)`; gatescope builds it as `GRUResetBefore`
(app/recurrent), with `nn.GRU`'s parameter names and shapes.

The state dict names are PyTorch's own, under `blocks.<b>.`:

| tensor | shape |
| --- | --- |
| `embedding.weight` | (num_embeddings, embedding_dim), text models only |
| `blocks.{b}.weight_ih_l{k}[_reverse]` | (gates * hidden_size, input of layer k) |
| `blocks.{b}.weight_hh_l{k}[_reverse]` | (gates * hidden_size, hidden_size or proj_size) |
| `blocks.{b}.bias_ih_l{k}[_reverse]`, `blocks.{b}.bias_hh_l{k}[_reverse]` | (gates * hidden_size,), when `bias` |
| `blocks.{b}.weight_hr_l{k}[_reverse]` | (proj_size, hidden_size), LSTM with `proj_size` |
| `head.layers.{i}.weight`, `head.layers.{i}.bias` | (out_features, in_features), (out_features,) |

`gates` is 1 for RNN, 4 for LSTM (blocks i, f, g, o) and 3 for GRU (blocks r, z, n, for both
values of `reset_after`); `_reverse` is the backward direction of a bidirectional block. For
example `blocks.1.weight_hh_l0_reverse` is the second block's first layer, backward direction.
Weights are float32 (or all float64).

## Tasks and labels

`task` fixes what the head ends in and how its output is read:

| task | head ends in | prediction | `labels` |
| --- | --- | --- | --- |
| `sentiment` | `Dense(1, sigmoid)` | the probability of `labels[1]` | optional, two: `[negative, positive]` (the default) |
| `classification` | `Dense(N, softmax)`, N from 2 to {max_classes} | every class's probability, the likeliest named | required, N names in output order, all different |
| `regression` | one output | a value, put back into original units with `target_min`/`target_max` when the target was min-max scaled | none |
| `next-token` | `Dense(vocabulary, softmax)`, read at every step; no bidirectional block; its text is never padded (one step per token, at most `maxlen`) | the likeliest next tokens | required, the token of each output |

The blocks and head of a three-class text classifier, for example:

```json
{classifier}
```

## Other languages

`translations` (optional) gives the model's words in another language, keyed by language
(`ko` or `en`): any of `title`, `description`, `features` (one name per feature, in order) and
`labels` (one per class label, in order; the sentiment default `[negative, positive]` counts as
two). The lists must have as many names as the model has features or labels. The pages use them
when the interface is in that language; anything left out falls back to the model's own words.
The example config.json below has Korean words for its title and features.

## Version 1

Format version 1 described one recurrent module under `recurrent` (no `blocks`, no
`reset_after`, tasks `sentiment` and `regression`), and named its weights `recurrent.<name>`.
gatescope still reads such folders and uploads: the document is read as a version-2 document with
one block, and `recurrent.<name>` weights as `blocks.0.<name>`. Uploads and newly written models
are stored as version 2. A version-1 `config.json`:

```json
{version_1}
```

## Making a model in PyTorch

```python
from safetensors.torch import save_file
from app.zoo import GateNet, ModelConfig

config = ModelConfig.model_validate_json(open("config.json").read())
network = GateNet(config)
# ... train it, or copy your own nn.GRU's parameters into network.blocks[0] ...
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
or relu), `LSTM`, `GRU` (`reset_after=True` or `False`), `Bidirectional` (`merge_mode="concat"`),
`use_bias=False`, and `Dense` (linear, relu, sigmoid, tanh, softmax); `Dropout` and
`SpatialDropout1D` are skipped as at inference. Recurrent layers may differ from each other
(`Bidirectional(LSTM(5, return_sequences=True)) -> LSTM(4)`, `GRU(50) -> GRU(20)`, `LSTM -> GRU`):
consecutive layers alike in cell, units, direction and options become one block, and each change
starts the next block. Every recurrent layer but the last needs `return_sequences=True`.

The last Dense layer fixes the task: `Dense(1, sigmoid)` is `sentiment`; `Dense(2, softmax)` is
stored as `Dense(1, sigmoid)` on the difference of its two rows (the same probability:
softmax([a, b])[1] = sigmoid(b - a)), also `sentiment`; `Dense(N, softmax)` with N from 3 to
{max_classes} is `classification`, its class names from the `labels` upload field (or
`gatescope import --labels`: one per line, comma-separated, or a JSON list; default `class 0`,
`class 1`, ...); a numeric model's single output is `regression`. Anything PyTorch's modules
cannot compute exactly is refused with the layer and option named: other activations, a
`Bidirectional` whose directions differ, `return_sequences=True` on the last recurrent layer,
other merge modes, more than {max_blocks} blocks, other layers.

Keras converts to PyTorch like this (Keras kernels are `(inputs, units * gates)`, transposed):

| Keras | PyTorch |
| --- | --- |
| LSTM kernel blocks i, f, c, o; one bias | same order; `bias_ih` = bias, `bias_hh` = 0 |
| GRU (`reset_after=True`) kernel blocks z, r, h; bias rows (input, recurrent) | blocks r, z, n; `bias_ih` = row 0, `bias_hh` = row 1 |
| GRU (`reset_after=False`) kernel blocks z, r, h; one bias (3 * units) | blocks r, z, n; `bias_ih` = bias, `bias_hh` = 0 |
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
    ModelConfig.model_validate(EXAMPLE)  # the examples must stay valid
    ModelConfig.model_validate(VERSION_1_EXAMPLE)
    return (
        PROSE.replace("{max_blocks}", str(MAX_BLOCKS))
        .replace("{max_layers}", str(MAX_LAYERS))
        .replace("{max_classes}", str(MAX_CLASSES))
        .replace("{classifier}", json.dumps(CLASSIFIER_PARTS, indent=2, ensure_ascii=False))
        .replace("{version_1}", json.dumps(VERSION_1_EXAMPLE, indent=2, ensure_ascii=False))
        .replace("{keras_companion}", json.dumps(KERAS_COMPANION, indent=2, ensure_ascii=False))
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
