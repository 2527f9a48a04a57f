"""GateNet: Embedding? -> nn.RNN/LSTM/GRU -> Dense head, rebuilt from a ModelConfig.

Its state_dict is what `weights.safetensors` stores: `embedding.weight`,
`recurrent.<PyTorch's own parameter names>`, `head.layers.<k>.weight` / `.bias`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from app.zoo.spec import DenseSpec, EmbeddingSpec, ModelConfig, RecurrentSpec


def build_recurrent(spec: RecurrentSpec) -> nn.RNNBase:
    """The nn module a RecurrentSpec describes, batch first."""
    options = dict(
        input_size=spec.input_size,
        hidden_size=spec.hidden_size,
        num_layers=spec.num_layers,
        bias=spec.bias,
        batch_first=True,
        bidirectional=spec.bidirectional,
    )
    if spec.cell == "lstm":
        return nn.LSTM(**options, proj_size=spec.proj_size)
    if spec.cell == "gru":
        return nn.GRU(**options)
    return nn.RNN(**options, nonlinearity=spec.nonlinearity)


def apply_activation(x: Tensor, activation: str) -> Tensor:
    if activation == "relu":
        return torch.relu(x)
    if activation == "sigmoid":
        return torch.sigmoid(x)
    if activation == "tanh":
        return torch.tanh(x)
    if activation == "softmax":
        return torch.softmax(x, dim=-1)
    return x


class Head(nn.Module):
    """Dense layers with the activations the config names (Keras Dense semantics)."""

    def __init__(self, in_features: int, layers: list[DenseSpec]) -> None:
        super().__init__()
        self.activations = [layer.activation for layer in layers]
        linears = []
        for layer in layers:
            linears.append(nn.Linear(in_features, layer.out_features, bias=layer.bias))
            in_features = layer.out_features
        self.layers = nn.ModuleList(linears)

    def forward(self, x: Tensor) -> Tensor:
        for linear, activation in zip(self.layers, self.activations, strict=True):
            x = apply_activation(linear(x), activation)
        return x


class GateNet(nn.Module):
    """The whole network; `recurrent` is handed to the tracer, the rest is around it."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embedding = _build_embedding(config.embedding)
        self.recurrent = build_recurrent(config.recurrent)
        self.head = Head(config.recurrent.output_width, list(config.head))

    def embed(self, token_ids: Tensor) -> Tensor:
        """Token ids (batch, steps) -> recurrent inputs (batch, steps, features)."""
        assert self.embedding is not None
        return self.embedding(token_ids)

    def final_hidden(self, state: Tensor | tuple[Tensor, Tensor]) -> Tensor:
        """The top layer's final h (both directions side by side): what Keras's RNN returns."""
        h_n = state[0] if isinstance(state, tuple) else state
        directions = 2 if self.recurrent.bidirectional else 1
        top = h_n[-directions:]  # (directions, batch, units)
        return torch.cat(list(top), dim=-1)

    def forward(self, features: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Recurrent inputs (batch, steps, features) -> head output (batch, out)."""
        if lengths is not None:
            packed = nn.utils.rnn.pack_padded_sequence(
                features, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            _, state = self.recurrent(packed)
        else:
            _, state = self.recurrent(features)
        return self.head(self.final_hidden(state))


def _build_embedding(spec: EmbeddingSpec | None) -> nn.Embedding | None:
    if spec is None:
        return None
    return nn.Embedding(spec.num_embeddings, spec.embedding_dim)
