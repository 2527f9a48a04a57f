"""Keras models (.keras zips and legacy .h5 files) as GateNet specs and weights, without Keras.

Recurrent layers become blocks (keras_plan.group_blocks): block ``b``'s layer ``k`` is stored as
``blocks.<b>.weight_ih_l<k>`` and so on, PyTorch's own names.

Weight layouts, Keras -> PyTorch (Keras kernels are (inputs, units * gates): transposed here):

- SimpleRNN: kernel, recurrent_kernel, bias -> weight_ih, weight_hh, bias_ih (bias_hh = 0).
- LSTM: gate blocks i, f, c, o in both, so only the transpose; one bias -> bias_ih (bias_hh = 0).
- GRU (reset_after=True): Keras blocks z, r, h become PyTorch's r, z, n; the bias is (2, 3 * units),
  row 0 the input bias, row 1 the recurrent bias (which sits inside r * (W_hn h + b_hn), exactly
  where PyTorch puts b_hn). Keras's z multiplies h_{t-1}, as PyTorch's z does.
- GRU (reset_after=False): the same blocks, for GRUResetBefore (n = tanh(W_in x + b_in +
  W_hn (r * h))); its one bias (3 * units) -> bias_ih, bias_hh = 0.
- Bidirectional: the forward layer is ``_l{k}``, the backward layer ``_l{k}_reverse``, outputs
  concatenated forward first (merge_mode="concat").
- Dense: kernel (in, out) -> weight (out, in). A final Dense(2, softmax) becomes Dense(1, sigmoid)
  on the difference of its two rows: softmax([a, b])[1] = sigmoid(b - a), exactly. A final
  Dense(N, softmax) with N >= 3 is a classification head.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

import h5py
import numpy as np
import torch
from torch import Tensor

from app.importers import archive, hdf5
from app.importers.errors import ModelImportError
from app.importers.keras_layers import (
    KerasLayer,
    KerasModel,
    layer_of,
    read_model_config,
    snake_case,
)
from app.importers.keras_plan import CELLS, DenseLayer, Plan, RecurrentLayer, plan_model
from app.importers.limits import ByteBudget, ImportLimits
from app.importers.parts import Converted
from app.limits import MAX_CLASSES
from app.recurrent import parameter_name
from app.recurrent.names import Matrix, ParameterKind

CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.h5"
METADATA_MEMBER = "metadata.json"
MAX_CONFIG_CHARS = 20_000_000
GATE_BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


class WeightSource(Protocol):
    def arrays(self, layer: KerasLayer) -> list[np.ndarray]:
        """The layer's weights in Keras's own order (kernel, recurrent_kernel, bias...)."""
        ...


def read_keras_archive(
    data: bytes, filename: str, companion: dict[str, Any] | None, limits: ImportLimits
) -> Converted:
    """A Keras 3 ``.keras`` file: a zip of config.json and model.weights.h5.

    ``companion`` (tokenizer, names, padding) is applied later, by assemble.
    """
    budget = ByteBudget(limits.max_unpacked_bytes, "the .keras archive")
    with archive.open_zip(data, limits) as zipped:
        members = archive.names(zipped)
        if CONFIG_MEMBER not in members or WEIGHTS_MEMBER not in members:
            raise ModelImportError(
                "file",
                f"is a zip without {CONFIG_MEMBER} and {WEIGHTS_MEMBER}, so not a Keras 3 .keras "
                "model (save it with model.save('model.keras')).",
            )
        document = _json(archive.read_member(zipped, CONFIG_MEMBER, budget), CONFIG_MEMBER)
        metadata = (
            _json(archive.read_member(zipped, METADATA_MEMBER, budget), METADATA_MEMBER)
            if METADATA_MEMBER in members
            else {}
        )
        weights = archive.read_member(zipped, WEIGHTS_MEMBER, budget)
    model = read_model_config(document)
    plan = plan_model(model)
    with hdf5.open_hdf5(weights, what=WEIGHTS_MEMBER) as handle:
        source = _Keras3Weights(handle, model, budget)
        return convert(plan, source, _source_label(metadata, ".keras"), filename)


def read_legacy_h5(
    data: bytes, filename: str, companion: dict[str, Any] | None, limits: ImportLimits
) -> Converted:
    """A legacy Keras ``.h5`` file: the model config as an attribute, weights by layer name."""
    budget = ByteBudget(limits.max_unpacked_bytes, "the .h5 file")
    with hdf5.open_hdf5(data) as handle:
        document = hdf5.json_attribute(handle, "model_config", MAX_CONFIG_CHARS)
        if document is None:
            raise ModelImportError(
                "file",
                "is an HDF5 file without a model config (weights only, from save_weights?); "
                "upload the whole model saved with model.save('model.h5') or "
                "model.save('model.keras').",
            )
        model = read_model_config(document)
        plan = plan_model(model)
        version = hdf5.text_of(handle.attrs.get("keras_version", b"")) or "?"
        label = f"Keras {version} model (legacy .h5)"
        return convert(plan, _LegacyWeights(handle, budget), label, filename)


def convert(plan: Plan, weights: WeightSource, source: str, filename: str) -> Converted:
    """GateNet's spec and state dict for an accepted plan."""
    state: dict[str, Tensor] = {}
    config: dict[str, Any] = {}
    input_size = None
    if plan.embedding is not None:
        table = _embedding_table(plan.embedding, weights)
        state["embedding.weight"] = table
        config["embedding"] = {"num_embeddings": table.shape[0], "embedding_dim": table.shape[1]}
        input_size = table.shape[1]
    layer_input = input_size or _first_input_size(plan, weights)
    _check_feature_count(plan.model, layer_input)
    config["blocks"] = []
    for number, block in enumerate(plan.blocks):
        config["blocks"].append(_block_spec(block, layer_input))
        for index, item in enumerate(block):
            arrays = weights.arrays(item.layer)
            state.update(_recurrent_state(item, arrays, f"blocks.{number}.", index, layer_input))
            layer_input = item.output_width
    head, notes = _head(plan.dense, weights, layer_input, state)
    config["head"] = head
    config["task"] = _task(plan, head, layer_input)
    return Converted(
        config=config,
        state=state,
        source=source,
        title=_default_title(filename),
        input_kind="text" if plan.embedding is not None else "numbers",
        steps=_steps(plan.model),
        mask_zero=plan.mask_zero,
        notes=[*plan.notes, *notes],
        layers=[_layer_line(layer) for layer in plan.model.layers],
    )


# -- weight files ---------------------------------------------------------------------------------


class _Keras3Weights:
    """model.weights.h5 of a .keras file: ``layers/<snake_case class>[_n]/...``.

    Each layer's group records the layer's name (``vars`` attribute "name"), which is how layers
    are matched; files without it are matched by Keras's own path naming instead.
    """

    def __init__(self, handle: h5py.File, model: KerasModel, budget: ByteBudget) -> None:
        self.budget = budget
        layers = hdf5.group_at(handle, "layers")
        if layers is None:
            raise ModelImportError("file", f"has a {WEIGHTS_MEMBER} without a 'layers' group.")
        self.groups: dict[str, h5py.Group] = {}
        for path in hdf5.child_names(layers):
            group = hdf5.group_at(layers, path)
            recorded = hdf5.group_at(group, "vars") if group is not None else None
            name = hdf5.text_of(recorded.attrs.get("name")) if recorded is not None else None
            if group is not None and name:
                self.groups[name] = group
        for layer, path in _keras3_paths(model):
            group = hdf5.group_at(layers, path)
            if layer.name not in self.groups and group is not None:
                self.groups[layer.name] = group

    def arrays(self, layer: KerasLayer) -> list[np.ndarray]:
        group = self.groups.get(layer.name)
        if group is None:
            raise ModelImportError("file", f"has no weights for {layer.label} in {WEIGHTS_MEMBER}.")
        if layer.kind == "Bidirectional":
            return self._vars(group, "forward_layer/cell", layer) + self._vars(
                group, "backward_layer/cell", layer
            )
        if layer.kind in CELLS:
            return self._vars(group, "cell", layer)
        return self._vars(group, "", layer)

    def _vars(self, group: h5py.Group, path: str, layer: KerasLayer) -> list[np.ndarray]:
        holder = hdf5.group_at(group, f"{path}/vars" if path else "vars")
        if holder is None:
            raise ModelImportError("file", f"has no weights for {layer.label} in {WEIGHTS_MEMBER}.")
        keys = hdf5.child_names(holder)
        if not all(key.isdigit() for key in keys):
            raise ModelImportError("file", f"has unexpected weight names for {layer.label}.")
        return [
            hdf5.read_array(hdf5.child(holder, key), self.budget, f"{layer.name}/{path}/{key}")
            for key in sorted(keys, key=int)
        ]


def _keras3_paths(model: KerasModel) -> list[tuple[KerasLayer, str]]:
    """Keras 3's weight-file path of each layer: snake-cased class name, numbered on repeats."""
    used: dict[str, int] = {}
    paths = []
    for layer in model.saved_order:
        name = snake_case(layer.kind)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        paths.append((layer, name))
    return paths


class _LegacyWeights:
    """Legacy .h5: ``model_weights/<layer name>`` lists its datasets in ``weight_names``."""

    def __init__(self, handle: h5py.File, budget: ByteBudget) -> None:
        self.budget = budget
        self.root = hdf5.group_at(handle, "model_weights") or handle

    def arrays(self, layer: KerasLayer) -> list[np.ndarray]:
        group = hdf5.group_at(self.root, layer.name)
        if group is None:
            raise ModelImportError("file", f"has no weights for {layer.label}.")
        arrays = []
        for name in hdf5.string_list_attribute(group, "weight_names"):
            node = hdf5.node_at(group, name)
            arrays.append(hdf5.read_array(node, self.budget, name))
        return arrays


# -- conversion -----------------------------------------------------------------------------------


def _embedding_table(layer: KerasLayer, weights: WeightSource) -> Tensor:
    arrays = weights.arrays(layer)
    if len(arrays) != 1 or arrays[0].ndim != 2:
        raise ModelImportError(
            "file",
            f"has {len(arrays)} weight arrays for {layer.label}; an Embedding has one table.",
        )
    return torch.from_numpy(arrays[0].copy())


def _first_input_size(plan: Plan, weights: WeightSource) -> int:
    arrays = weights.arrays(plan.recurrent[0].layer)
    if not arrays or arrays[0].ndim != 2:
        raise ModelImportError("file", f"has no kernel for {plan.recurrent[0].layer.label}.")
    return int(arrays[0].shape[0])


def _check_feature_count(model: KerasModel, input_size: int) -> None:
    shape = model.input_shape
    if shape is not None and len(shape) == 3 and shape[2] is not None and shape[2] != input_size:
        raise ModelImportError(
            "file",
            f"declares {shape[2]} input features but its first recurrent layer reads {input_size}.",
        )


def _recurrent_state(
    item: RecurrentLayer, arrays: list[np.ndarray], prefix: str, index: int, input_size: int
) -> dict[str, Tensor]:
    """PyTorch's tensors for one Keras recurrent layer (both directions when Bidirectional),
    as layer ``index`` of the block whose names start with ``prefix``."""
    per_direction = 3 if item.bias else 2
    directions = (False, True) if item.bidirectional else (False,)
    if len(arrays) != per_direction * len(directions):
        raise ModelImportError(
            "file",
            f"has {len(arrays)} weight arrays for {item.layer.label}; expected "
            f"{per_direction * len(directions)}.",
        )
    state: dict[str, Tensor] = {}
    for number, reverse in enumerate(directions):
        own = arrays[number * per_direction : (number + 1) * per_direction]
        tensors = _cell_state(item, own, input_size)
        state.update(
            {
                prefix + parameter_name(kind, matrix, index, reverse): tensor
                for (kind, matrix), tensor in tensors.items()
            }
        )
    return state


def _cell_state(
    item: RecurrentLayer, arrays: Sequence[np.ndarray], input_size: int
) -> dict[tuple[ParameterKind, Matrix], Tensor]:
    """One direction's tensors, keyed by (kind, matrix): ("weight", "ih") is weight_ih."""
    blocks = GATE_BLOCKS[item.cell]
    width = blocks * item.units
    kernel = _checked(arrays[0], (input_size, width), item, "kernel")
    recurrent = _checked(arrays[1], (item.units, width), item, "recurrent_kernel")
    state: dict[tuple[ParameterKind, Matrix], Tensor] = {
        ("weight", "ih"): _pytorch_blocks(item.cell, kernel.T),
        ("weight", "hh"): _pytorch_blocks(item.cell, recurrent.T),
    }
    if item.bias:
        state["bias", "ih"], state["bias", "hh"] = _biases(item, arrays[2], width)
    return state


def _biases(item: RecurrentLayer, bias: np.ndarray, width: int) -> tuple[Tensor, Tensor]:
    """(bias_ih, bias_hh): a reset_after GRU keeps two rows (input, recurrent); the others,
    reset_after=False GRUs included, have one bias, which is the input bias."""
    if item.cell == "gru" and item.reset_after:
        both = _checked(bias, (2, width), item, "bias")
        return _pytorch_blocks("gru", both[0]), _pytorch_blocks("gru", both[1])
    single = _pytorch_blocks(item.cell, _checked(bias, (width,), item, "bias"))
    return single, torch.zeros_like(single)


def _pytorch_blocks(cell: str, tensor: Tensor) -> Tensor:
    """Reorder gate blocks along dim 0 from Keras's order to PyTorch's (GRU: z, r, h -> r, z, n)."""
    if cell != "gru":
        return tensor.contiguous()
    update, reset, candidate = tensor.chunk(3, dim=0)
    return torch.cat([reset, update, candidate]).contiguous()


def _checked(array: np.ndarray, shape: tuple[int, ...], item: RecurrentLayer, what: str) -> Tensor:
    if tuple(array.shape) != shape:
        raise ModelImportError(
            "file",
            f"has a {what} of shape {tuple(array.shape)} for {item.layer.label}; expected {shape}.",
        )
    return torch.from_numpy(array.copy())


def _block_spec(layers: list[RecurrentLayer], input_size: int) -> dict[str, Any]:
    """The RecurrentSpec of one block: layers alike, the first reading ``input_size``."""
    first = layers[0]
    spec: dict[str, Any] = {
        "cell": first.cell,
        "input_size": input_size,
        "hidden_size": first.units,
        "num_layers": len(layers),
        "bidirectional": first.bidirectional,
        "bias": first.bias,
    }
    if first.cell == "rnn":
        spec["nonlinearity"] = first.nonlinearity
    if first.cell == "gru":
        spec["reset_after"] = first.reset_after
    return spec


def _head(
    layers: list[DenseLayer], weights: WeightSource, in_features: int, state: dict[str, Tensor]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The Dense layers as DenseSpecs (their tensors go into ``state``), and conversion notes."""
    head: list[dict[str, Any]] = []
    notes: list[str] = []
    for index, item in enumerate(layers):
        weight, bias = _dense_tensors(item, weights.arrays(item.layer), in_features)
        spec = {"out_features": item.units, "activation": item.activation, "bias": item.bias}
        if index == len(layers) - 1 and item.units == 2 and item.activation == "softmax":
            weight, bias = _softmax_pair_as_sigmoid(weight, bias)
            spec = {"out_features": 1, "activation": "sigmoid", "bias": item.bias}
            notes.append(
                f"{item.layer.label} (2 classes, softmax) is stored as Dense(1, sigmoid) of the "
                "difference of its two rows, the probability of class 1: "
                "softmax([a, b])[1] = sigmoid(b - a)."
            )
        state[f"head.layers.{index}.weight"] = weight
        if bias is not None:
            state[f"head.layers.{index}.bias"] = bias
        head.append(spec)
        in_features = item.units
    return head, notes


def _dense_tensors(
    item: DenseLayer, arrays: list[np.ndarray], in_features: int
) -> tuple[Tensor, Tensor | None]:
    expected = 2 if item.bias else 1
    if len(arrays) != expected:
        raise ModelImportError(
            "file", f"has {len(arrays)} weight arrays for {item.layer.label}; expected {expected}."
        )
    kernel = arrays[0]
    if tuple(kernel.shape) != (in_features, item.units):
        raise ModelImportError(
            "file",
            f"has a kernel of shape {tuple(kernel.shape)} for {item.layer.label}; expected "
            f"{(in_features, item.units)}.",
        )
    weight = torch.from_numpy(kernel.T.copy())
    if not item.bias:
        return weight, None
    if tuple(arrays[1].shape) != (item.units,):
        raise ModelImportError(
            "file", f"has a bias of shape {tuple(arrays[1].shape)} for {item.layer.label}."
        )
    return weight, torch.from_numpy(arrays[1].copy())


def _softmax_pair_as_sigmoid(weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor | None]:
    first, second = weight.chunk(2, dim=0)
    difference = None if bias is None else (bias[1] - bias[0]).reshape(1)
    return (second - first).contiguous(), difference


def _task(plan: Plan, head: list[dict[str, Any]], top_width: int) -> str:
    """The head's task: one probability (sentiment), one of N classes (classification), or,
    for numeric models, one value (regression)."""
    last = head[-1] if head else None
    if last is not None and last["activation"] == "softmax":
        return _softmax_task(plan, last, top_width)
    if plan.embedding is not None:
        if last is None or last["out_features"] != 1 or last["activation"] != "sigmoid":
            raise ModelImportError(
                "file",
                f"is a text model that ends in {_ending(plan, last, top_width)}; gatescope reads "
                "a text model's output as one probability (Dense(1, activation='sigmoid')) or as "
                "classes (Dense(N, activation='softmax')).",
            )
        return "sentiment"
    if (last["out_features"] if last else top_width) != 1:
        raise ModelImportError(
            "file",
            f"is a numeric model that ends in {_ending(plan, last, top_width)}; gatescope "
            "predicts one value (Dense(1), as in the class's regressor), one probability "
            "(Dense(1, activation='sigmoid')) or classes (Dense(N, activation='softmax')).",
        )
    return "regression"


def _softmax_task(plan: Plan, last: dict[str, Any], top_width: int) -> str:
    """A final softmax: two classes were made one sigmoid probability, more are classes."""
    if last["out_features"] == 1 and plan.dense[-1].units == 2:
        return "sentiment"
    if not 2 <= last["out_features"] <= MAX_CLASSES:
        raise ModelImportError(
            "file",
            f"ends in {_ending(plan, last, top_width)}; gatescope reads a softmax head as 2 to "
            f"{MAX_CLASSES} classes.",
        )
    return "classification"


def _ending(plan: Plan, last: dict[str, Any] | None, top_width: int) -> str:
    if last is None:
        return f"{plan.top.layer.label} ({top_width} outputs)"
    item = plan.dense[-1]
    return f"{item.layer.label} ({item.units} outputs, activation={item.activation!r})"


def _steps(model: KerasModel) -> int | None:
    """The input length the model fixes, if any (Input shape or tf.keras's input_length)."""
    shape = model.input_shape
    if shape is not None and len(shape) >= 2 and shape[1] is not None:
        return int(shape[1])
    for layer in model.layers:
        length = layer.option("input_length") if layer.kind == "Embedding" else None
        if isinstance(length, int) and not isinstance(length, bool) and length > 0:
            return length
    return None


def _layer_line(layer: KerasLayer) -> str:
    options = [
        f"{key}={layer.option(key)!r}"
        for key in (
            "units",
            "input_dim",
            "output_dim",
            "activation",
            "return_sequences",
            "mask_zero",
        )
        if key in layer.config and isinstance(layer.option(key), str | int | bool)
    ]
    if layer.kind == "Bidirectional":
        options.insert(0, _layer_line(_inner(layer)))
    return f"{layer.kind} {layer.name!r}" + (f" ({', '.join(options)})" if options else "")


def _inner(layer: KerasLayer) -> KerasLayer:
    return layer_of(layer.option("layer"))


def _json(raw: bytes, name: str) -> Any:
    if len(raw) > MAX_CONFIG_CHARS:
        raise ModelImportError("file", f"has a {name} of {len(raw):,} bytes; too long.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelImportError("file", f"has a {name} that is not valid JSON: {error}") from error


def _source_label(metadata: Any, extension: str) -> str:
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return f"Keras {version or '3'} model ({extension})"


def _default_title(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0].strip()
    return (stem or "Imported model")[:200]
