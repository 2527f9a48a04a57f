"""Language models: POST /models/{id}/generate writes; GET /models/{id}/cells lists the
interpretable cells found in it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from app.api.deps import ModelDep, PrecisionDep, SettingsDep
from app.api.errors import NOT_FOUND_RESPONSE, ApiError
from app.api.responses import json_response
from app.api.schemas import GenerateRequest, GenerateResponse
from app.api.workers import WorkersDep
from app.config import Settings
from app.serialize import rounded_prediction, trace_payload, view_of_traced
from app.zoo import LoadedModel
from app.zoo.generation import Writing, generate
from app.zoo.language import Sampling

router = APIRouter(prefix="/models", tags=["models"])

GENERATE_EXAMPLES: dict[str, Any] = {
    "python": {
        "summary": "Python source (chars-python-lstm)",
        "value": {"prompt": "def ", "length": 300, "temperature": 0.8, "seed": 1},
    },
    "korean": {
        "summary": "A Korean review (chars-ko-lstm)",
        "value": {"prompt": "이 영화 ", "length": 100, "top_k": 10, "seed": 7},
    },
}


@router.post(
    "/{model_id}/generate",
    response_model=GenerateResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="Let a language model write",
    description="Reads the prompt, then writes `length` tokens, each drawn from the model's "
    "next-token probabilities (temperature, top_k; seeded, so repeatable). Returns the text, "
    "the likeliest candidates at every written step, and the trace of prompt + text, equal to "
    "what `POST /models/{id}/trace` returns for that text. Only next-token models write "
    "(`not_a_language_model` otherwise).",
)
async def generate_text(
    model: ModelDep,
    body: Annotated[GenerateRequest, Body(openapi_examples=GENERATE_EXAMPLES)],
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    return await workers.run(written_response, model, body, settings, precision)


def written_response(
    model: LoadedModel, body: GenerateRequest, settings: Settings, precision: int | None
) -> Response:
    """Write, trace and render, in a model worker thread."""
    sampling = Sampling(body.temperature, body.top_k, body.seed)
    writing = generate(
        model, body.prompt, body.length, sampling, settings.max_steps, settings.max_text_chars
    )
    return json_response(writing_payload(model, body, writing, precision))


def writing_payload(
    model: LoadedModel, body: GenerateRequest, writing: Writing, precision: int | None
) -> dict[str, Any]:
    first = writing.traced.prepared.steps - len(writing.steps)
    return {
        "model": model.id,
        "prompt": writing.prompt,
        "text": writing.text,
        "length": body.length,
        "temperature": body.temperature,
        "top_k": body.top_k,
        "seed": body.seed,
        "steps": [
            {
                "step": first + index,
                "token": step.token,
                "probability": _rounded(step.probability, precision),
                "top": rounded_prediction(step.candidates.as_dict(), precision)["top"],  # type: ignore[index]
            }
            for index, step in enumerate(writing.steps)
        ],
        "trace": trace_payload(view_of_traced(model, writing.traced), precision),
    }


def _rounded(value: float, precision: int | None) -> float:
    return value if precision is None else round(value, precision)


@router.get(
    "/{model_id}/cells",
    responses=NOT_FOUND_RESPONSE,
    summary="A language model's interpretable cells",
    description="For each feature (inside a string, bracket depth, column...; for Korean: "
    "position in the review, after a negation word, inside a repeated-character run), the unit "
    "(layer, hidden or cell, index) that tracks it best on held-out text, with its AUROC "
    "(binary) or Pearson r (numeric), the goal where the issue sets one and whether it was met, "
    "and a passage with the feature and the unit's activation per character. Found by "
    "`gatescope cells <id> --write`; `no_cells` when it has not been run for this model.",
)
def read_cells(model: ModelDep) -> Response:
    if model.cells is None:
        raise ApiError(
            404,
            ["path", "model_id"],
            f"{model.id!r} has no cells found: run `gatescope cells {model.id} --write`",
            "not_found",
            code="no_cells",
            params={"model_id": model.id},
        )
    return json_response(model.cells)
