"""A model ready to use: preprocessing, prediction, and the hand-over to the tracer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import torch
from torch import Tensor

from app.preprocessing import Tokenizer, tokenizer_from_config
from app.recurrent import Trace, parse_parameter_name, trace_chain
from app.zoo.inputs import (
    check_steps,
    check_text,
    no_known_words,
    no_words,
    too_large_after_scaling,
)
from app.zoo.network import GateNet
from app.zoo.spec import ModelConfig, NumbersPreprocessing, TextPreprocessing

TokenKind = Literal["word", "oov", "pad"]
PAD_TOKEN = "<pad>"
PREDICT_BATCH = 256  # inputs run through the network at once by predict()


@dataclass(frozen=True)
class Truncation:
    """How a text longer than the model's maxlen was cut (Keras's `truncating`): "pre" drops
    tokens from the start, "post" from the end."""

    dropped: int
    kept: int
    side: Literal["start", "end"]

    def as_dict(self) -> dict[str, Any]:
        return {"dropped": self.dropped, "kept": self.kept, "from": self.side}


@dataclass(frozen=True)
class PreparedInput:
    """One input as the network sees it."""

    features: Tensor  # (1, steps, input_size): what the recurrent module reads
    tokens: list[str] | None = None  # text: one per step, padding included
    token_ids: list[int] | None = None
    token_kinds: list[TokenKind] | None = None
    values: list[list[float]] | None = None  # numbers: original units, one row per step
    scaled: list[list[float]] | None = None  # numbers: what the network reads
    truncated: Truncation | None = None  # text longer than maxlen: what was cut

    @property
    def steps(self) -> int:
        return self.features.shape[1]


TOP_TOKENS = 5  # next-token candidates a prediction lists


@dataclass(frozen=True)
class Prediction:
    """What the head said, by task: a binary label, one of N classes, the next token's
    candidates, or a regression value in original units."""

    label: str | None = None
    probability: float | None = None  # of the predicted label
    positive_probability: float | None = None  # sentiment
    value: float | None = None  # regression
    unit: str | None = None
    classes: list[tuple[str, float]] | None = None  # classification: every class, label order
    top: list[tuple[str, float]] | None = None  # next-token: the likeliest, most likely first
    # next-token, after a step of real text: the token that came next and its probability
    came: tuple[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.value is not None:
            return {"value": self.value, "unit": self.unit}
        if self.classes is not None:
            return {
                "label": self.label,
                "probability": self.probability,
                "classes": _labelled(self.classes),
            }
        if self.top is not None:
            shown: dict[str, Any] = {
                "label": self.label,
                "probability": self.probability,
                "top": _labelled(self.top),
            }
            if self.came is not None:
                token, probability = self.came
                shown["came"] = {
                    "label": token,
                    "probability": probability,
                    "bits": -math.log2(max(probability, 1e-45)),
                }
            return shown
        return {
            "label": self.label,
            "probability": self.probability,
            "positive_probability": self.positive_probability,
        }


def _labelled(pairs: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"label": label, "probability": probability} for label, probability in pairs]


@dataclass(frozen=True)
class TracedInput:
    prepared: PreparedInput
    trace: Trace
    prediction: Prediction
    step_predictions: list[Prediction] | None = field(default=None)


class LoadedModel:
    """A GateNet with its config; `source` tells shipped models from uploaded ones."""

    def __init__(self, config: ModelConfig, network: GateNet, source: str = "shipped") -> None:
        self.config = config
        self.network = network.eval()
        self.source = source
        self.card = ""
        self.cells: dict[str, Any] | None = None  # cells.json: the best unit per feature

    @property
    def id(self) -> str:
        return self.config.id

    @cached_property
    def tokenizer(self) -> Tokenizer:
        spec = self.config.preprocessing
        assert isinstance(spec, TextPreprocessing)
        return tokenizer_from_config({**spec.tokenizer, "analyzer": spec.analyzer})

    # -- preprocessing ------------------------------------------------------------------------

    def prepare(
        self, raw: Any, field_name: str = "input", max_steps: int | None = None
    ) -> PreparedInput:
        """Validate and turn one raw input (text or numbers) into recurrent inputs."""
        spec = self.config.preprocessing
        if isinstance(spec, TextPreprocessing):
            return self._prepare_text(raw, spec, field_name)
        return self._prepare_numbers(raw, spec, field_name, max_steps)

    def _prepare_text(self, raw: Any, spec: TextPreprocessing, field_name: str) -> PreparedInput:
        words = self.tokenizer.tokenize(check_text(raw, field_name))
        return self.prepare_words(words, field_name)

    def prepare_words(self, words: list[str], field_name: str = "input") -> PreparedInput:
        """A text already cut into words (as `tokenizer.tokenize` cuts it) as the network
        sees it; corpora cut many texts at once (`Tokenizer.tokenize_many`) and come here."""
        pairs, truncated = self._text_steps(words, field_name)
        ids = torch.tensor([[token_id for _, token_id, _ in pairs]], dtype=torch.long)
        with torch.no_grad():
            features = self.network.embed(ids)
        return PreparedInput(
            features=features,
            tokens=[token for token, _, _ in pairs],
            token_ids=[token_id for _, token_id, _ in pairs],
            token_kinds=[kind for _, _, kind in pairs],
            truncated=truncated,
        )

    def text_steps(
        self, words: list[str], field_name: str = "input"
    ) -> list[tuple[str, int, TokenKind]]:
        """(token, id, kind) of every step the network reads for these words, padding
        included; InputError when no word is left to read."""
        return self._text_steps(words, field_name)[0]

    def _text_steps(
        self, words: list[str], field_name: str
    ) -> tuple[list[tuple[str, int, TokenKind]], Truncation | None]:
        """The steps, and what was cut to fit maxlen (None when nothing was)."""
        spec = self.config.preprocessing
        assert isinstance(spec, TextPreprocessing)
        if not words:
            raise no_words(field_name)
        pairs = [pair for pair in map(self._token, words) if pair is not None]
        if not pairs:
            raise no_known_words(field_name)
        truncated = truncation_of(len(pairs), spec.maxlen, spec.truncating)
        pairs = _fit_length(pairs, spec.maxlen, spec.truncating)
        if self.pads:
            padding: list[tuple[str, int, TokenKind]] = [(PAD_TOKEN, 0, "pad")] * (
                spec.maxlen - len(pairs)
            )
            pairs = padding + pairs if spec.padding == "pre" else pairs + padding
        return pairs, truncated

    @property
    def pads(self) -> bool:
        """Whether text is padded to maxlen: never for a language model (next-token), whose
        steps are the input's own tokens, nor with mask_padding (padding steps are skipped)."""
        spec = self.config.preprocessing
        assert isinstance(spec, TextPreprocessing)
        return self.config.task != "next-token" and not spec.mask_padding

    @property
    def reads_characters(self) -> bool:
        """A text model whose tokens are single characters (a character tokenizer)."""
        return self.config.input_kind == "text" and self.tokenizer.char_level

    def _token(self, word: str) -> tuple[str, int, TokenKind] | None:
        """A word's id as Keras's texts_to_sequences gives it; None where Keras drops it."""
        index = self.tokenizer.kept_index(word)
        if index is not None:
            return (word, index, "word")
        oov_index = self.tokenizer.oov_index()
        return None if oov_index is None else (word, oov_index, "oov")

    def _prepare_numbers(
        self, raw: Any, spec: NumbersPreprocessing, field_name: str, max_steps: int | None
    ) -> PreparedInput:
        rows = check_steps(raw, field_name, len(spec.features), max_steps)
        scaled = [self._scale(row) for row in rows]
        features = torch.tensor([scaled], dtype=self._dtype)
        if not bool(torch.isfinite(features).all()):
            step, column = (int(i) for i in (~torch.isfinite(features[0])).nonzero()[0])
            raise too_large_after_scaling(rows[step][column], f"{field_name}[{step}][{column}]")
        return PreparedInput(features=features, values=rows, scaled=scaled)

    @property
    def _dtype(self) -> torch.dtype:
        return self.network.dtype

    def _scale(self, row: list[float]) -> list[float]:
        spec = self.config.preprocessing
        assert isinstance(spec, NumbersPreprocessing)
        if spec.scaler_min is None or spec.scaler_max is None:
            return row
        return [
            (value - low) / ((high - low) or 1.0)
            for value, low, high in zip(row, spec.scaler_min, spec.scaler_max, strict=True)
        ]

    # -- running ------------------------------------------------------------------------------

    def predict(self, raws: Sequence[Any], max_steps: int | None = None) -> list[Prediction]:
        """Predictions for several inputs, in order (each validated as `inputs[i]`)."""
        return self.predict_prepared(self.prepare_all(raws, max_steps))

    def prepare_all(self, raws: Sequence[Any], max_steps: int | None = None) -> list[PreparedInput]:
        """Several inputs prepared, each validated as `inputs[i]`."""
        return [self.prepare(raw, f"inputs[{index}]", max_steps) for index, raw in enumerate(raws)]

    def predict_prepared(self, prepared: list[PreparedInput]) -> list[Prediction]:
        """Predictions for prepared inputs, in order; equal lengths run as one batch."""
        outputs: dict[int, Tensor] = {}
        for positions in _same_length_groups(prepared, PREDICT_BATCH):
            features = torch.cat([prepared[position].features for position in positions])
            with torch.no_grad():
                rows = self.network(features)
            if self.network.per_step:
                rows = rows[:, -1]  # the next token after the whole input
            outputs.update(zip(positions, rows, strict=True))
        return [self._prediction(outputs[position]) for position in range(len(prepared))]

    def run_trace(self, raw: Any, max_steps: int | None = None) -> TracedInput:
        """Prepare one input, trace every recurrent block on it, and predict from the trace."""
        prepared = self.prepare(raw, "input", max_steps)
        traced = trace_chain(list(self.network.blocks), prepared.features)
        return TracedInput(
            prepared=prepared,
            trace=traced,
            prediction=self.prediction_of(traced),
            step_predictions=self.step_predictions(traced, prepared.token_ids),
        )

    def prediction_of(self, traced: Trace) -> Prediction:
        """The head's prediction from a trace of one whole input: from the top block's final
        state, or (next-token) from its output at the last step."""
        with torch.no_grad():
            if self.network.per_step:
                output = self.network.head(traced.layer(-1, "forward").hidden[0, -1])
            else:
                output = self.network.head(self.network.final_hidden(traced.final_state))[0]
        return self._prediction(output)

    @property
    def reads_left_to_right(self) -> bool:
        """No block is bidirectional, so step t's top output has read steps 0..t only."""
        return not any(spec.bidirectional for spec in self.config.blocks)

    def step_predictions(
        self, traced: Trace, token_ids: list[int] | None = None
    ) -> list[Prediction] | None:
        """The head applied to the top layer's h after every step: the prediction as it forms.

        Only for models that read left to right: a backward direction has not read the end of
        the sentence yet at step t, so "the prediction so far" has no meaning there. For a
        next-token head this is what the model expects to come after each step and, given the
        input's `token_ids`, the probability it gave the token that came (its surprise).
        """
        if not self.reads_left_to_right or not self.config.head:
            return None
        top = traced.layer(-1, "forward").hidden[0]  # (steps, units)
        with torch.no_grad():
            outputs = self.network.head(top)
        predictions = [self._prediction(row) for row in outputs]
        if self.config.task != "next-token" or token_ids is None:
            return predictions
        labels = self.config.class_labels
        return [
            replace(prediction, came=(labels[after], float(outputs[step, after])))
            if step + 1 < len(token_ids) and (after := token_ids[step + 1]) < len(labels)
            else prediction
            for step, prediction in enumerate(predictions)
        ]

    def _prediction(self, output: Tensor) -> Prediction:
        task = self.config.task
        if task == "sentiment":
            positive = float(output[0])
            negative_label, positive_label = self.config.class_labels
            is_positive = positive >= 0.5
            return Prediction(
                label=positive_label if is_positive else negative_label,
                probability=positive if is_positive else 1.0 - positive,
                positive_probability=positive,
            )
        if task == "classification":
            probabilities = [float(value) for value in output]
            classes = list(zip(self.config.class_labels, probabilities, strict=True))
            label, probability = max(classes, key=lambda pair: pair[1])
            return Prediction(label=label, probability=probability, classes=classes)
        if task == "next-token":
            return self.next_token(output)
        return Prediction(value=self._unscale_target(float(output[0])), unit=self._target_unit)

    def next_token(self, output: Tensor, count: int = TOP_TOKENS) -> Prediction:
        """The `count` likeliest next tokens of a next-token head's output, most likely first."""
        probabilities, indices = torch.topk(output, min(count, output.shape[-1]))
        labels = self.config.class_labels
        top = [
            (labels[int(index)], float(probability))
            for probability, index in zip(probabilities, indices, strict=True)
        ]
        return Prediction(label=top[0][0], probability=top[0][1], top=top)

    @property
    def _target_unit(self) -> str | None:
        spec = self.config.preprocessing
        return spec.target_unit if isinstance(spec, NumbersPreprocessing) else None

    def _unscale_target(self, scaled: float) -> float:
        spec = self.config.preprocessing
        if not isinstance(spec, NumbersPreprocessing) or spec.target_min is None:
            return scaled
        assert spec.target_max is not None
        return scaled * ((spec.target_max - spec.target_min) or 1.0) + spec.target_min

    # -- description --------------------------------------------------------------------------

    def parameter_counts(self) -> list[dict[str, Any]]:
        """Parameters per layer, named as a student would (Embedding, GRU layer 1, Dense 1...)."""
        counts: list[dict[str, Any]] = []
        network = self.network
        if network.embedding is not None:
            counts.append(_count("embedding", "Embedding", network.embedding.parameters()))
        for block_index, (spec, block) in enumerate(
            zip(self.config.blocks, network.blocks, strict=True)
        ):
            for layer in range(spec.num_layers):
                parameters = [
                    parameter
                    for name, parameter in block.named_parameters()
                    if parse_parameter_name(name).layer == layer
                ]
                counts.append(
                    _count(
                        block_layer_key(block_index, layer),
                        block_layer_name(self.config, block_index, layer),
                        parameters,
                    )
                )
        for index, linear in enumerate(network.head.layers):
            counts.append(_count(f"head.{index}", f"Dense {index + 1}", linear.parameters()))
        return counts

    @property
    def total_parameters(self) -> int:
        return sum(parameter.numel() for parameter in self.network.parameters())


def _same_length_groups(prepared: list[PreparedInput], size: int) -> list[list[int]]:
    """Positions of inputs with equal step counts, in chunks of `size`: one forward each."""
    by_steps: dict[int, list[int]] = {}
    for position, item in enumerate(prepared):
        by_steps.setdefault(item.steps, []).append(position)
    return [
        positions[start : start + size]
        for positions in by_steps.values()
        for start in range(0, len(positions), size)
    ]


def block_layer_key(block: int, layer: int) -> str:
    """A recurrent layer's key in parameter tables: "blocks.1.0" is block 1's first layer."""
    return f"blocks.{block}.{layer}"


def block_layer_name(config: ModelConfig, block: int, layer: int) -> str:
    """ "GRU layer 1", or "Block 2 · LSTM layer 1" when the model chains several blocks."""
    return layer_name(config.blocks[block].cell, block, layer, chained=len(config.blocks) > 1)


def layer_name(cell: str, block: int, layer: int, chained: bool) -> str:
    name = f"{cell.upper()} layer {layer + 1}"
    return f"Block {block + 1} · {name}" if chained else name


def _count(key: str, name: str, parameters: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "parameters": sum(p.numel() for p in parameters)}


def truncation_of(count: int, maxlen: int, truncating: str) -> Truncation | None:
    """What `_fit_length` cuts from `count` tokens, or None when they fit."""
    if count <= maxlen:
        return None
    return Truncation(count - maxlen, maxlen, "start" if truncating == "pre" else "end")


def _fit_length(pairs: list[Any], maxlen: int, truncating: str) -> list[Any]:
    if len(pairs) <= maxlen:
        return pairs
    return pairs[-maxlen:] if truncating == "pre" else pairs[:maxlen]
