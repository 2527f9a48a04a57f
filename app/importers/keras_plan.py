"""Which Keras models gatescope can rebuild exactly, and the GateNet spec each becomes.

A Keras model is accepted when it reads as ``[Input] -> [Embedding] -> recurrent layers ->
Dense layers`` (Dropout and SpatialDropout1D skipped, as at inference) and PyTorch's
nn.RNN/nn.LSTM/nn.GRU (or gatescope's GRUResetBefore, for ``reset_after=False``) computes exactly
what its recurrent layers compute. Consecutive recurrent layers that share cell, units, direction
and options become one block (one module with ``num_layers``); any change starts the next block.
Everything else is refused with a message that names the layer and the option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.importers.errors import ModelImportError
from app.importers.keras_layers import KerasLayer, KerasModel, layer_of
from app.limits import MAX_BLOCKS, MAX_LAYERS
from app.recurrent import CellKind

CELLS: dict[str, CellKind] = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
SKIPPED = frozenset({"InputLayer", "Dropout", "SpatialDropout1D"})
DENSE_ACTIVATIONS = frozenset({"linear", "relu", "sigmoid", "tanh", "softmax"})
SUPPORTED = "Input, Embedding, SimpleRNN, LSTM, GRU (stacked, Bidirectional) and Dense"


@dataclass(frozen=True)
class RecurrentLayer:
    """One Keras recurrent layer (perhaps inside Bidirectional) in PyTorch's terms."""

    layer: KerasLayer
    cell: CellKind
    units: int
    bidirectional: bool
    bias: bool
    nonlinearity: Literal["tanh", "relu"]
    return_sequences: bool
    stateful: bool
    reset_after: bool = True  # GRU only: False is the Keras 1 / TF1 GRU

    @property
    def shape_key(self) -> tuple[str, int, bool, bool, str, bool]:
        """What one nn module needs all its layers to share."""
        return (
            self.cell,
            self.units,
            self.bidirectional,
            self.bias,
            self.nonlinearity,
            self.reset_after,
        )

    @property
    def output_width(self) -> int:
        return self.units * (2 if self.bidirectional else 1)


@dataclass(frozen=True)
class DenseLayer:
    layer: KerasLayer
    units: int
    activation: str
    bias: bool


@dataclass(frozen=True)
class Plan:
    """The accepted model: what becomes GateNet's embedding, recurrent module and head."""

    model: KerasModel
    embedding: KerasLayer | None
    recurrent: list[RecurrentLayer]
    dense: list[DenseLayer]
    notes: list[str]

    @property
    def blocks(self) -> list[list[RecurrentLayer]]:
        """The recurrent layers grouped into blocks, as ``group_blocks`` groups them."""
        return group_blocks(self.recurrent)

    @property
    def mask_zero(self) -> bool:
        return bool(self.embedding and self.embedding.option("mask_zero", False))

    @property
    def top(self) -> RecurrentLayer:
        return self.recurrent[-1]


def plan_model(model: KerasModel) -> Plan:
    """Check every layer and option, and say which GateNet part each layer becomes."""
    _refuse_unknown_layers(model.layers)
    embedding, recurrent_layers, dense_layers = _split_stages(model.layers)
    problems: list[str] = []
    recurrent = [_recurrent(layer, problems) for layer in recurrent_layers]
    dense = [_dense(layer, problems) for layer in dense_layers]
    if embedding is not None:
        _check_embedding(embedding, problems)
    if problems:
        raise ModelImportError("file", " ".join(problems), problems=problems)
    _check_stack(recurrent, dense)
    _check_block_count(recurrent)
    notes = [
        f"{item.layer.label} was stateful in Keras; gatescope starts every input from a zero "
        "state, as after model.reset_states()."
        for item in recurrent
        if item.stateful
    ]
    return Plan(model, embedding, recurrent, dense, notes)


def group_blocks(layers: list[RecurrentLayer]) -> list[list[RecurrentLayer]]:
    """Runs of consecutive layers alike in cell, units, direction and options: one block each
    (a run longer than MAX_LAYERS continues in the next block, which computes the same)."""
    blocks: list[list[RecurrentLayer]] = []
    for item in layers:
        current = blocks[-1] if blocks else []
        if current and current[-1].shape_key == item.shape_key and len(current) < MAX_LAYERS:
            blocks[-1].append(item)
        else:
            blocks.append([item])
    return blocks


def activation_name(value: Any) -> str:
    """An activation as Keras serialised it: "relu", None, or {"config": "relu", ...}."""
    if value is None:
        return "linear"
    if isinstance(value, dict):
        inner = value.get("config")
        if isinstance(inner, str):
            return inner
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return str(inner["name"])
        return str(value.get("class_name", "unknown"))
    return str(value)


def _refuse_unknown_layers(layers: list[KerasLayer]) -> None:
    unknown = [layer.label for layer in layers if not _is_known(layer)]
    if unknown:
        raise ModelImportError(
            "file",
            f"has layers gatescope cannot import: {', '.join(unknown)}. It reads {SUPPORTED} "
            "(Dropout and SpatialDropout1D are skipped, as at inference).",
            problems=unknown,
        )


def _is_known(layer: KerasLayer) -> bool:
    if layer.kind in SKIPPED or layer.kind in CELLS or layer.kind in ("Embedding", "Dense"):
        return True
    return layer.kind == "Bidirectional" and _wrapped(layer).kind in CELLS


def _wrapped(layer: KerasLayer) -> KerasLayer:
    return layer_of(layer.option("layer"))


def _split_stages(
    layers: list[KerasLayer],
) -> tuple[KerasLayer | None, list[KerasLayer], list[KerasLayer]]:
    """Embedding, recurrent and Dense layers, refusing any other order."""
    parts = [layer for layer in layers if layer.kind not in SKIPPED]
    embedding = parts[0] if parts and parts[0].kind == "Embedding" else None
    rest = parts[1:] if embedding else parts
    recurrent = [layer for layer in rest if layer.kind != "Dense"]
    dense = [layer for layer in rest if layer.kind == "Dense"]
    misplaced = [layer for layer in rest if layer.kind == "Embedding"]
    if misplaced:
        raise ModelImportError(
            "file",
            f"{misplaced[0].label} is not the first layer; an Embedding must come first.",
        )
    if not recurrent:
        raise ModelImportError(
            "file",
            "has no recurrent layer (SimpleRNN, LSTM or GRU): nothing for gatescope to trace.",
        )
    if rest[: len(recurrent)] != recurrent:
        first_dense = next(layer for layer in rest if layer.kind == "Dense")
        raise ModelImportError(
            "file",
            f"{first_dense.label} comes before a recurrent layer; gatescope's models are "
            "[Embedding] -> recurrent layers -> Dense layers.",
        )
    return embedding, recurrent, dense


def _recurrent(layer: KerasLayer, problems: list[str]) -> RecurrentLayer:
    inner = layer
    bidirectional = layer.kind == "Bidirectional"
    if bidirectional:
        inner = _wrapped(layer)
        merge_mode = layer.option("merge_mode", "concat")
        if merge_mode != "concat":
            problems.append(
                f"{layer.label} merges its directions with merge_mode={merge_mode!r}; gatescope "
                "(like PyTorch's bidirectional modules) concatenates them: use merge_mode='concat'."
            )
        _check_backward_layer(layer, inner, problems)
    cell = CELLS[inner.kind]
    nonlinearity = _check_activations(layer, inner, cell, problems)
    _check_cell_options(layer, inner, cell, bidirectional, problems)
    return RecurrentLayer(
        layer=layer,
        cell=cell,
        units=_positive_int(inner.option("units"), f"{layer.label} units"),
        bidirectional=bidirectional,
        bias=bool(inner.option("use_bias", True)),
        nonlinearity=nonlinearity,
        return_sequences=bool(inner.option("return_sequences", False)),
        stateful=bool(inner.option("stateful", False)),
        reset_after=cell != "gru" or bool(inner.option("reset_after", True)),
    )


def _check_activations(
    layer: KerasLayer, inner: KerasLayer, cell: str, problems: list[str]
) -> Literal["tanh", "relu"]:
    activation = activation_name(inner.option("activation", "tanh"))
    allowed = ("tanh", "relu") if cell == "rnn" else ("tanh",)
    module = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}[cell]
    if activation not in allowed:
        choices = "tanh or relu" if cell == "rnn" else "tanh"
        problems.append(
            f"{layer.label} uses activation={activation!r}; PyTorch's {module} computes only "
            f"{choices} there, so it cannot be rebuilt exactly."
        )
    if cell != "rnn":
        recurrent_activation = activation_name(inner.option("recurrent_activation", "sigmoid"))
        if recurrent_activation != "sigmoid":
            problems.append(
                f"{layer.label} uses recurrent_activation={recurrent_activation!r}; PyTorch's "
                f"{module} gates are always sigmoid, so it cannot be rebuilt exactly."
            )
    return "relu" if activation == "relu" else "tanh"


def _check_cell_options(
    layer: KerasLayer, inner: KerasLayer, cell: str, bidirectional: bool, problems: list[str]
) -> None:
    if inner.option("go_backwards", False) and not bidirectional:
        problems.append(
            f"{layer.label} uses go_backwards=True; gatescope reads sequences forwards (or both "
            "ways with Bidirectional)."
        )
    if inner.option("return_state", False):
        problems.append(
            f"{layer.label} uses return_state=True; gatescope's models return one output."
        )
    if inner.option("time_major", False):
        problems.append(f"{layer.label} uses time_major=True; gatescope reads batch-major inputs.")


def _check_backward_layer(layer: KerasLayer, forward: KerasLayer, problems: list[str]) -> None:
    """A Bidirectional's explicit backward layer must mirror the forward one."""
    entry = layer.option("backward_layer")
    if entry is None:
        return
    backward = layer_of(entry)
    keys = ("units", "activation", "recurrent_activation", "use_bias", "reset_after")
    differs = [
        key
        for key in keys
        if backward.kind != forward.kind or backward.option(key) != forward.option(key)
    ]
    if backward.kind != forward.kind or differs:
        problems.append(
            f"{layer.label} has a backward layer unlike its forward layer ({backward.kind} vs "
            f"{forward.kind}{', ' + ', '.join(differs) if differs else ''}); one PyTorch "
            "bidirectional module needs both directions alike."
        )


def _check_embedding(layer: KerasLayer, problems: list[str]) -> None:
    for option in ("lora_rank", "quantization_config"):
        if layer.option(option):
            problems.append(f"{layer.label} uses {option}; gatescope imports plain float weights.")


def _dense(layer: KerasLayer, problems: list[str]) -> DenseLayer:
    activation = activation_name(layer.option("activation"))
    if activation not in DENSE_ACTIVATIONS:
        problems.append(
            f"{layer.label} uses activation={activation!r}; gatescope's Dense layers are linear, "
            "relu, sigmoid, tanh or softmax."
        )
    for option in ("lora_rank", "quantization_config"):
        if layer.option(option):
            problems.append(f"{layer.label} uses {option}; gatescope imports plain float weights.")
    return DenseLayer(
        layer=layer,
        units=_positive_int(layer.option("units"), f"{layer.label} units"),
        activation=activation,
        bias=bool(layer.option("use_bias", True)),
    )


def _check_stack(recurrent: list[RecurrentLayer], dense: list[DenseLayer]) -> None:
    """Each recurrent layer feeds the next its whole sequence; the last ends in its final state."""
    for item in recurrent[:-1]:
        if not item.return_sequences:
            raise ModelImportError(
                "file",
                f"{item.layer.label} has return_sequences=False but another recurrent layer "
                "follows it; stacked layers pass on every step (return_sequences=True).",
            )
    if recurrent[-1].return_sequences:
        after = (
            f"so {dense[0].layer.label} runs on every step"
            if dense
            else "so the model outputs every step"
        )
        raise ModelImportError(
            "file",
            f"has return_sequences=True on its last recurrent layer {recurrent[-1].layer.label}, "
            f"{after}; gatescope's models read the final state (return_sequences=False on the "
            "last recurrent layer), as the class's models do.",
        )


def _check_block_count(recurrent: list[RecurrentLayer]) -> None:
    blocks = group_blocks(recurrent)
    if len(blocks) > MAX_BLOCKS:
        starts = ", ".join(block[0].layer.label for block in blocks)
        raise ModelImportError(
            "file",
            f"has {len(blocks)} runs of differing recurrent layers (starting at {starts}); "
            f"gatescope chains at most {MAX_BLOCKS} blocks, each a run of layers alike in cell, "
            "units, direction and options.",
        )


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelImportError("file", f"{what} is {value!r}, not a positive whole number.")
    return value
