"""The documents of a corpus as the network reads them: validated, cut into words in batches,
and turned into steps (padding included) with the real steps marked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from app.atlas.corpus import Corpus, CorpusError
from app.zoo import InputError, LoadedModel
from app.zoo.inputs import check_text
from app.zoo.spec import TextPreprocessing

TOKENIZE_CHUNK = 2000  # texts cut into words between two progress reports
KIND_CODES = {"word": 0, "oov": 1, "pad": 2}


@dataclass(frozen=True)
class DocumentSteps:
    """One document as the network reads it."""

    corpus_id: int
    inputs: Tensor  # text: (steps,) token ids; numbers: (steps, features) scaled values
    real: npt.NDArray[np.bool_]  # (steps,): not padding
    tokens: list[str] | None = None  # the real steps' tokens
    kinds: list[int] | None = None  # the real steps' KIND_CODES
    values: list[list[float]] | None = None  # numbers: original units

    @property
    def steps(self) -> int:
        return int(self.real.shape[0])

    @property
    def real_steps(self) -> int:
        return int(self.real.sum())

    @property
    def first(self) -> int:
        """The trace step of the first real step."""
        return int(np.argmax(self.real))


@dataclass(frozen=True)
class PreparedCorpus:
    documents: list[DocumentSteps]
    skipped: dict[str, int]  # input error code -> documents skipped for it


def prepare_corpus(
    model: LoadedModel,
    corpus: Corpus,
    max_steps: int,
    report: Callable[[float], None] = lambda fraction: None,
) -> PreparedCorpus:
    """Every document that passes the model's input rules; the rest are counted by code.
    CorpusError when the real steps exceed `max_steps`."""
    documents: list[DocumentSteps] = []
    skipped: dict[str, int] = {}
    total = max(len(corpus.documents), 1)
    steps = 0
    for start in range(0, len(corpus.documents), TOKENIZE_CHUNK):
        chunk = corpus.documents[start : start + TOKENIZE_CHUNK]
        for found in _prepare_chunk(model, chunk, start):
            if isinstance(found, InputError):
                skipped[found.code] = skipped.get(found.code, 0) + 1
                continue
            steps += found.real_steps
            if steps > max_steps:
                raise CorpusError(
                    "too_many_steps",
                    f"the corpus has more than {max_steps} steps to index",
                    {"steps": steps, "limit": max_steps},
                )
            documents.append(found)
        report(min(start + TOKENIZE_CHUNK, total) / total)
    return PreparedCorpus(documents, skipped)


def _prepare_chunk(
    model: LoadedModel, chunk: list[Any], start: int
) -> list[DocumentSteps | InputError]:
    if isinstance(model.config.preprocessing, TextPreprocessing):
        return _text_chunk(model, chunk, start)
    return [_numbers_document(model, raw, start + offset) for offset, raw in enumerate(chunk)]


def _text_chunk(
    model: LoadedModel, chunk: list[Any], start: int
) -> list[DocumentSteps | InputError]:
    checked: list[str | InputError] = []
    for offset, raw in enumerate(chunk):
        try:
            checked.append(check_text(raw, f"documents[{start + offset}]"))
        except InputError as error:
            checked.append(error)
    texts = [text for text in checked if isinstance(text, str)]
    words = iter(model.tokenizer.tokenize_many(texts))
    return [
        item if isinstance(item, InputError) else _text_document(model, next(words), start + offset)
        for offset, item in enumerate(checked)
    ]


def _text_document(
    model: LoadedModel, words: list[str], corpus_id: int
) -> DocumentSteps | InputError:
    try:
        pairs = model.text_steps(words, f"documents[{corpus_id}]")
    except InputError as error:
        return error
    real = np.array([kind != "pad" for _, _, kind in pairs])
    return DocumentSteps(
        corpus_id=corpus_id,
        inputs=torch.tensor([token_id for _, token_id, _ in pairs], dtype=torch.long),
        real=real,
        tokens=[token for token, _, kind in pairs if kind != "pad"],
        kinds=[KIND_CODES[kind] for _, _, kind in pairs if kind != "pad"],
    )


def _numbers_document(model: LoadedModel, raw: Any, corpus_id: int) -> DocumentSteps | InputError:
    try:
        prepared = model.prepare(raw, f"documents[{corpus_id}]")
    except InputError as error:
        return error
    assert prepared.values is not None
    return DocumentSteps(
        corpus_id=corpus_id,
        inputs=prepared.features[0],
        real=np.ones(prepared.steps, dtype=bool),
        values=prepared.values,
    )


def network_inputs(model: LoadedModel, documents: list[DocumentSteps]) -> Tensor:
    """A batch of equally long documents as the first block reads them."""
    stacked = torch.stack([document.inputs for document in documents])
    if stacked.dtype != torch.long:
        return stacked
    with torch.no_grad():
        return model.network.embed(stacked)


def length_batches(documents: list[DocumentSteps], size: int) -> list[list[int]]:
    """Positions of equally long documents, in order, in batches of `size`."""
    by_steps: dict[int, list[int]] = {}
    for position, document in enumerate(documents):
        by_steps.setdefault(document.steps, []).append(position)
    return [
        positions[start : start + size]
        for positions in by_steps.values()
        for start in range(0, len(positions), size)
    ]
