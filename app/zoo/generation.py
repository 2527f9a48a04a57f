"""A language model writes: a prompt in, text out, with what it expected at every step and the
trace of the whole text (prompt and written), exactly as the trace of that text gives it."""

from __future__ import annotations

from dataclasses import dataclass

from app.limits import ABSOLUTE_MAX_STEPS, MAX_WRITTEN
from app.zoo.inputs import check_at_most, check_text, check_writing_length, not_a_language_model
from app.zoo.language import Sampling, write
from app.zoo.loaded import LoadedModel, Prediction, TracedInput

DEFAULT_TOP_K = 5  # candidates listed per written step when sampling from all of them


@dataclass(frozen=True)
class WrittenStep:
    """One written token: what was drawn, and the model's likeliest candidates there."""

    token: str
    probability: float  # the model's probability of the drawn token (before temperature)
    candidates: Prediction


@dataclass(frozen=True)
class Writing:
    prompt: str
    text: str  # what the model wrote, after the prompt
    steps: list[WrittenStep]
    traced: TracedInput  # prompt + text


def writes(model: LoadedModel) -> bool:
    """Whether the model can write: a next-token head reading left to right."""
    return model.config.task == "next-token" and model.reads_left_to_right


def generate(
    model: LoadedModel,
    prompt: str,
    length: int,
    sampling: Sampling,
    max_steps: int = ABSOLUTE_MAX_STEPS,
    max_chars: int | None = None,
) -> Writing:
    """Write `length` tokens after `prompt`; seeded by `sampling.seed`, so repeatable.

    Padding and the unknown symbol are never drawn, so the text reads back as the same tokens
    and its trace is the trace of `prompt + text`."""
    if not writes(model):
        raise not_a_language_model(model.config.task)
    check_text(prompt, "prompt", max_chars)
    check_at_most(length, "length", MAX_WRITTEN)
    prepared = model.prepare(prompt, "prompt")
    check_writing_length(prepared.steps, length, "length", _step_limit(model, max_steps))
    assert prepared.token_ids is not None
    banned = tuple(index for index in (0, model.tokenizer.oov_index()) if index is not None)
    written = write(model.network, prepared.token_ids, length, _banning(sampling, banned))
    labels = model.config.class_labels
    tokens = [labels[index] for index in written.ids]
    steps = [
        WrittenStep(token, float(distribution[index]), model.next_token(distribution, top))
        for token, index, distribution in zip(
            tokens, written.ids, written.distributions, strict=True
        )
        for top in [sampling.top_k or DEFAULT_TOP_K]
    ]
    text = _joined(model, tokens)
    traced = model.run_trace(prompt + text, max_steps=max_steps)
    return Writing(prompt, text, steps, traced)


def _step_limit(model: LoadedModel, max_steps: int) -> int:
    maxlen = getattr(model.config.preprocessing, "maxlen", max_steps)
    return min(max_steps, maxlen)


def _banning(sampling: Sampling, banned: tuple[int, ...]) -> Sampling:
    return Sampling(sampling.temperature, sampling.top_k, sampling.seed, banned)


def _joined(model: LoadedModel, tokens: list[str]) -> str:
    """Written tokens as text: characters run together, words after a space each."""
    if model.reads_characters:
        return "".join(tokens)
    return "".join(" " + token for token in tokens)
