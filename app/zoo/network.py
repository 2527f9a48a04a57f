"""GateNet: Embedding? -> a chain of recurrent blocks -> Dense head, rebuilt from a ModelConfig.

Its state_dict is what `weights.safetensors` stores: `embedding.weight`,
`blocks.<b>.<PyTorch's own parameter names>`, `head.layers.<k>.weight` / `.bias`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from app.recurrent import RecurrentOptions, build_recurrent
from app.zoo.spec import DenseSpec, EmbeddingSpec, ModelConfig, RecurrentSpec

State = Tensor | tuple[Tensor, Tensor]


def recurrent_options(spec: RecurrentSpec) -> RecurrentOptions:
    """The tracer's options for one block of the model format."""
    return RecurrentOptions(**spec.model_dump())


def build_block(spec: RecurrentSpec) -> nn.Module:
    """The recurrent module a block describes, batch first."""
    return build_recurrent(recurrent_options(spec), batch_first=True)


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
    """The whole network; `blocks` are handed to the tracer, the rest is around them."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embedding = _build_embedding(config.embedding)
        self.blocks = nn.ModuleList([build_block(spec) for spec in config.blocks])
        self.head = Head(config.blocks[-1].output_width, list(config.head))
        # A next-token head reads every step's output; the others read the final state.
        self.per_step = config.task == "next-token"

    def embed(self, token_ids: Tensor) -> Tensor:
        """Token ids (batch, steps) -> recurrent inputs (batch, steps, features)."""
        assert self.embedding is not None
        return self.embedding(token_ids)

    @property
    def top(self) -> nn.Module:
        """The last recurrent block: the one the head reads."""
        return self.blocks[-1]

    @property
    def dtype(self) -> torch.dtype:
        return next(self.blocks.parameters()).dtype

    def final_hidden(self, state: State) -> Tensor:
        """The top block's final h (both directions side by side): what Keras's RNN returns."""
        h_n = state[0] if isinstance(state, tuple) else state
        directions = 2 if self.top.bidirectional else 1
        top = h_n[-directions:]  # (directions, batch, units)
        return torch.cat(list(top), dim=-1)

    def run_blocks(self, features: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, State]:
        """Every block in turn, each reading the previous one's whole output sequence.

        Returns the top block's outputs (batch, steps, width; zeros past each length) and its
        final state.
        """
        sequence: Tensor | nn.utils.rnn.PackedSequence = features
        if lengths is not None:
            sequence = nn.utils.rnn.pack_padded_sequence(
                features, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
        state: State | None = None
        for block in self.blocks:
            sequence, state = block(sequence)
        assert state is not None
        if isinstance(sequence, nn.utils.rnn.PackedSequence):
            sequence, _ = nn.utils.rnn.pad_packed_sequence(
                sequence, batch_first=True, total_length=features.shape[1]
            )
        return sequence, state

    def head_input(self, outputs: Tensor, state: State) -> Tensor:
        """What the head reads: every step's output (next-token) or the final hidden state."""
        return outputs if self.per_step else self.final_hidden(state)

    def forward(self, features: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Recurrent inputs (batch, steps, features) -> head output (batch, out), or
        (batch, steps, vocabulary) for a next-token head."""
        outputs, state = self.run_blocks(features, lengths)
        return self.head(self.head_input(outputs, state))


def _build_embedding(spec: EmbeddingSpec | None) -> nn.Embedding | None:
    if spec is None:
        return None
    return nn.Embedding(spec.num_embeddings, spec.embedding_dim)
