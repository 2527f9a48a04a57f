"""Parameter counts per layer with the formula behind each, numbers substituted.

The class asks whether a GRU needs fewer parameters than an LSTM. Each recurrent cell is a
number of weight blocks (LSTM 4: input, forget, candidate, output; GRU 3: reset, update,
candidate; plain RNN 1), and each block holds an input matrix (h x i), a recurrent matrix
(h x h) and biases. PyTorch gives every block two biases (b_ih and b_hh); Keras's LSTM and
SimpleRNN have one, Keras's GRU has two by default (reset_after=True) and one with
reset_after=False (the notes' equation). So the PyTorch count of an LSTM layer is
4 * (h * (i + h) + 2h), and Keras's is 4 * (h * (i + h) + h).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from app.recurrent import GATE_NAMES, parse_parameter_name
from app.zoo.loaded import block_layer_key, layer_name
from app.zoo.network import GateNet
from app.zoo.spec import ModelConfig, RecurrentSpec

# Weight blocks per cell: one per gate (and the candidate) that reads [x_t, h_{t-1}]. (Not the
# model's recurrent blocks: these are the gate-sized slices of one layer's matrices.)
WEIGHT_BLOCKS: dict[str, int] = {cell: max(1, len(names)) for cell, names in GATE_NAMES.items()}


@dataclass(frozen=True)
class Formula:
    """A parameter count written three ways: symbols, numbers substituted, and the result."""

    symbolic: str
    substituted: str
    count: int


@dataclass(frozen=True)
class ParameterRow:
    """One layer of a model: its PyTorch count and formula, and Keras's for the same layer."""

    key: str  # "embedding", "blocks.0.1" (block 0, layer 1), "head.1"
    name: str  # as a student names it: "GRU layer 1", "Dense 2"
    kind: str  # "embedding", "rnn", "lstm", "gru", "dense"
    shape: dict[str, int]  # the symbols' values: i, h (and p) or vocabulary, in, out
    pytorch: Formula
    keras: Formula | None  # None where Keras has no equivalent (e.g. LSTM projections)
    note: str  # a short, language-neutral key the page translates, e.g. "lstm-two-biases"


def parameter_table(config: ModelConfig) -> list[ParameterRow]:
    """Every layer of a model config, from the embedding through the recurrent stack to the head."""
    rows: list[ParameterRow] = []
    if config.embedding is not None:
        rows.append(embedding_row(config.embedding.num_embeddings, config.embedding.embedding_dim))
    chained = len(config.blocks) > 1
    for index, spec in enumerate(config.blocks):
        rows.extend(recurrent_rows(spec, index, chained))
    in_features = config.blocks[-1].output_width
    for index, dense in enumerate(config.head):
        rows.append(dense_row(index, in_features, dense.out_features, dense.bias))
        in_features = dense.out_features
    return rows


def embedding_row(vocabulary: int, dim: int) -> ParameterRow:
    """Embedding(vocabulary, dim): one vector of `dim` numbers per word index."""
    formula = Formula("V × d", f"{vocabulary} × {dim}", vocabulary * dim)
    return ParameterRow(
        key="embedding",
        name="Embedding",
        kind="embedding",
        shape={"V": vocabulary, "d": dim},
        pytorch=formula,
        keras=formula,
        note="embedding",
    )


def dense_row(index: int, in_features: int, out_features: int, bias: bool) -> ParameterRow:
    """Dense(out): a weight per (input, output) pair plus one bias per output."""
    if bias:
        formula = Formula(
            "out × (in + 1)",
            f"{out_features} × ({in_features} + 1)",
            out_features * (in_features + 1),
        )
    else:
        formula = Formula("out × in", f"{out_features} × {in_features}", out_features * in_features)
    return ParameterRow(
        key=f"head.{index}",
        name=f"Dense {index + 1}",
        kind="dense",
        shape={"in": in_features, "out": out_features},
        pytorch=formula,
        keras=formula,
        note="dense",
    )


def recurrent_rows(
    spec: RecurrentSpec, block: int = 0, chained: bool = False
) -> list[ParameterRow]:
    """One row per layer of one block; layer k > 0 reads layer k-1's output (both directions),
    and a block's first layer reads the block before it. `chained`: the model has several
    blocks, so the names say which."""
    rows: list[ParameterRow] = []
    input_size = spec.input_size
    for layer in range(spec.num_layers):
        rows.append(recurrent_row(spec, block, layer, input_size, chained))
        input_size = spec.output_width
    return rows


def recurrent_row(
    spec: RecurrentSpec, block: int, layer: int, input_size: int, chained: bool = False
) -> ParameterRow:
    """The row of one recurrent layer reading `input_size` features per step."""
    shape = {"i": input_size, "h": spec.hidden_size}
    if spec.proj_size:
        shape["p"] = spec.proj_size
    return ParameterRow(
        key=block_layer_key(block, layer),
        name=layer_name(spec.cell, block, layer, chained),
        kind=spec.cell,
        shape=shape,
        pytorch=pytorch_recurrent_formula(spec, input_size),
        keras=None if spec.proj_size else keras_recurrent_formula(spec, input_size),
        note=_recurrent_note(spec),
    )


def pytorch_recurrent_formula(spec: RecurrentSpec, i: int) -> Formula:
    """blocks x (h x (i + h) + 2h) per direction: two biases (b_ih, b_hh) per block in PyTorch.

    With an LSTM projection (proj_size p) the recurrent matrix reads p numbers and a p x h
    projection is added: 4 x (h x (i + p) + 2h) + p x h.
    """
    blocks, h, p = WEIGHT_BLOCKS[spec.cell], spec.hidden_size, spec.proj_size
    reads = p or h
    read_symbol = "p" if p else "h"
    if spec.bias:
        symbolic = f"{blocks} × (h × (i + {read_symbol}) + 2h)"
        substituted = f"{blocks} × ({h} × ({i} + {reads}) + 2 × {h})"
        count = blocks * (h * (i + reads) + 2 * h)
    else:
        symbolic = f"{blocks} × h × (i + {read_symbol})"
        substituted = f"{blocks} × {h} × ({i} + {reads})"
        count = blocks * h * (i + reads)
    if p:
        symbolic, substituted, count = (
            f"{symbolic} + p × h",
            f"{substituted} + {p} × {h}",
            count + p * h,
        )
    return _per_direction(Formula(symbolic, substituted, count), spec.bidirectional)


def keras_recurrent_formula(spec: RecurrentSpec, i: int) -> Formula:
    """The same layer's count in Keras: one bias per block, except GRU(reset_after=True)."""
    blocks, h = WEIGHT_BLOCKS[spec.cell], spec.hidden_size
    biases = 2 if spec.cell == "gru" and spec.reset_after else 1
    if not spec.bias:
        formula = Formula(
            f"{blocks} × h × (i + h)", f"{blocks} × {h} × ({i} + {h})", blocks * h * (i + h)
        )
    elif biases == 2:
        formula = Formula(
            f"{blocks} × (h × (i + h) + 2h)",
            f"{blocks} × ({h} × ({i} + {h}) + 2 × {h})",
            blocks * (h * (i + h) + 2 * h),
        )
    else:
        formula = Formula(
            f"{blocks} × (h × (i + h) + h)",
            f"{blocks} × ({h} × ({i} + {h}) + {h})",
            blocks * (h * (i + h) + h),
        )
    return _per_direction(formula, spec.bidirectional)


def _per_direction(formula: Formula, bidirectional: bool) -> Formula:
    """A bidirectional layer is two independent copies of the layer: 2 x [...]."""
    if not bidirectional:
        return formula
    return Formula(f"2 × [{formula.symbolic}]", f"2 × [{formula.substituted}]", 2 * formula.count)


def _recurrent_note(spec: RecurrentSpec) -> str:
    """Which remark the page shows beside the row (translated there)."""
    if spec.proj_size:
        return "lstm-projection"
    if spec.cell == "gru" and not spec.reset_after:
        return "gru-reset-before"
    return {"lstm": "lstm-two-biases", "gru": "gru-reset-after", "rnn": "rnn-two-biases"}[spec.cell]


def counted_parameters(network: GateNet) -> dict[str, int]:
    """The real number of parameters per table key, counted from the network's named tensors."""
    counts: dict[str, int] = {}
    if network.embedding is not None:
        counts["embedding"] = _numel(network.embedding)
    for block, module in enumerate(network.blocks):
        for name, parameter in module.named_parameters():
            key = block_layer_key(block, parse_parameter_name(name).layer)
            counts[key] = counts.get(key, 0) + parameter.numel()
    for index, linear in enumerate(network.head.layers):
        counts[f"head.{index}"] = _numel(linear)
    return counts


def _numel(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())
