"""The network a playground run trains: one recurrent block and a linear readout at every step.

The block is built by the model format's own factory (app.zoo.network.build_block), so its
parameters carry PyTorch's names and a trained network becomes a gatescope model by renaming
(`as_model`): blocks.0.* stay, the readout becomes head.layers.0, and symbol tasks gain an
embedding whose rows are the one-hot codes the network was trained on (row 0, padding, is zero).
Weights are drawn from a private generator, as app.recurrent.seeded does, so a seed fixes them
and the global RNG is never touched.
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch
from torch import Tensor, nn

from app.playground.tasks import Task
from app.preprocessing.tokenizer import Tokenizer
from app.recurrent import CellKind, Trace, trace_chain
from app.zoo.network import GateNet, build_block
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    ModelConfig,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
)


class PlayNet(nn.Module):
    """Inputs (batch, steps, features) -> readout (batch, steps, outputs) at every step."""

    def __init__(self, task: Task, cell: CellKind, hidden: int, layers: int) -> None:
        super().__init__()
        self.spec = RecurrentSpec(
            cell=cell, input_size=task.width, hidden_size=hidden, num_layers=layers
        )
        self.blocks = nn.ModuleList([build_block(self.spec)])
        self.readout = nn.Linear(hidden, task.outputs)

    def forward(self, inputs: Tensor) -> Tensor:
        outputs, _ = self.blocks[0](inputs)
        return self.readout(outputs)  # type: ignore[no-any-return]

    def trace(self, inputs: Tensor) -> tuple[Trace, Tensor]:
        """The exact trace of the block and the readout of every step, without gradients."""
        with torch.no_grad():
            traced = trace_chain(list(self.blocks), inputs)
            return traced, self.readout(traced.layers[-1].hidden)


def build_network(task: Task, cell: CellKind, hidden: int, layers: int, seed: int) -> PlayNet:
    """A PlayNet with PyTorch's initialisation (U(-k, k)) drawn from `seed` alone."""
    network = PlayNet(task, cell, hidden, layers)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, parameter in network.blocks.named_parameters():
            bound = 1.0 / math.sqrt(hidden)
            parameter.uniform_(-bound, bound, generator=generator)
        for _, parameter in network.readout.named_parameters():
            bound = 1.0 / math.sqrt(hidden)
            parameter.uniform_(-bound, bound, generator=generator)
    return network


# -- a trace as JSON -------------------------------------------------------------------------


def rounded(values: Tensor, digits: int = 4) -> list[Any]:
    return torch.round(values.double(), decimals=digits).tolist()  # type: ignore[no-any-return]


def trace_json(task: Task, network: PlayNet, inputs: Tensor, text: str) -> dict[str, Any]:
    """One sequence's gates, cell and hidden states (steps x units) and the readout per step."""
    traced, readout = network.trace(inputs)
    if task.output == "classes":
        readout = torch.softmax(readout, dim=-1)
    return {
        "input": text,
        "tokens": _tokens(task, inputs, text),
        "steps": traced.steps,
        "layers": [
            {
                "layer": layer.layer + 1,
                "kind": layer.kind,
                "gates": {name: rounded(values[0]) for name, values in layer.gates.items()},
                "hidden": rounded(layer.hidden[0]),
                "cell": None if layer.cell is None else rounded(layer.cell[0]),
            }
            for layer in traced.layers
        ],
        "output": rounded(readout[0]),
        "output_names": list(task.classes) if task.output == "classes" else ["value"],
    }


def _tokens(task: Task, inputs: Tensor, text: str) -> list[str]:
    if task.symbolic:
        return [task.features[int(index)] for index in inputs[0].argmax(dim=-1)]
    return [", ".join(f"{value:.3g}" for value in step.tolist()) for step in inputs[0]]


# -- as a gatescope model --------------------------------------------------------------------


def model_task(task: Task) -> str:
    """The model format's head for this task."""
    if task.readout == "steps":
        return "next-token"
    return "classification" if task.output == "classes" else "regression"


def symbol_tokenizer(task: Task) -> Tokenizer:
    """One character per symbol, nothing filtered, no OOV: index i + 1 is features[i]."""
    tokenizer = Tokenizer(filters="", lower=False, char_level=True)
    tokenizer.fit_on_texts(["".join(task.features)])
    return tokenizer


def as_model(
    task: Task, network: PlayNet, model_id: str, title: str, maxlen: int, description: str
) -> tuple[ModelConfig, GateNet]:
    """The trained network as a gatescope model: same block, the readout as a softmax or linear
    head; symbols are read as text through a one-hot embedding, values as numbers."""
    head = DenseSpec(
        out_features=task.outputs,
        activation="softmax" if task.output == "classes" else "linear",
    )
    common: dict[str, Any] = {
        "id": model_id,
        "title": title,
        "task": model_task(task),
        "blocks": [network.spec],
        "head": [head],
        "description": description,
    }
    if task.output == "classes":
        common["labels"] = list(task.classes)
    state = {
        name: tensor.detach().clone()
        for name, tensor in network.state_dict().items()
        if name.startswith("blocks.")
    }
    state["head.layers.0.weight"] = network.readout.weight.detach().clone()
    state["head.layers.0.bias"] = network.readout.bias.detach().clone()
    if task.symbolic:
        tokenizer = symbol_tokenizer(task)
        config = ModelConfig(
            **common,
            embedding=EmbeddingSpec(num_embeddings=task.width + 1, embedding_dim=task.width),
            preprocessing=TextPreprocessing(
                tokenizer=json.loads(tokenizer.to_json()),
                maxlen=maxlen,
                padding="post",
                mask_padding=True,
            ),
        )
        state["embedding.weight"] = _one_hot_rows(task, tokenizer)
    else:
        config = ModelConfig(
            **common,
            preprocessing=NumbersPreprocessing(features=list(task.features), seq_length=maxlen),
        )
    model = GateNet(config)
    model.load_state_dict(state, strict=True)
    return config, model.eval()


def _one_hot_rows(task: Task, tokenizer: Tokenizer) -> Tensor:
    rows = torch.zeros(task.width + 1, task.width)
    for symbol, index in tokenizer.word_index.items():
        rows[index, task.features.index(symbol)] = 1.0
    return rows
