"""The unit atlas over HTTP (issue 12): status and builds, the indexed corpus, a unit's card,
pattern match, hypothesis scoring and co-clusters.

Handlers stay thin: app.atlas does the work (numpy over memory-mapped indexes, in the model
pool); builds run in a background thread of their own, so no request waits for one. A query on
an index that is not ready answers 202 with the build's status (and starts the build).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ModelDep, SettingsDep
from app.api.errors import NOT_FOUND_RESPONSE, ApiError
from app.api.schemas import ModelInput
from app.api.workers import WorkersDep
from app.atlas import open_index, read_corpus_file
from app.atlas.build import BuildBusy, atlas_status, build_index
from app.atlas.card import unit_card, unit_summaries
from app.atlas.clusters import co_clusters
from app.atlas.corpus import Corpus, CorpusError
from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef, parse_unit
from app.atlas.match import MatchError, match
from app.atlas.match import Query as MatchQuery
from app.atlas.pattern import input_pattern
from app.atlas.score import Feature, ScoreError, score
from app.atlas.service import atlas_root, current_corpus, current_key, limits_of, set_corpus
from app.config import Settings
from app.zoo import LoadedModel

log = logging.getLogger("gatescope.atlas")
router = APIRouter(prefix="/models", tags=["atlas"])


# -- builds, one background thread per process --------------------------------------------------

_BUILDER = ThreadPoolExecutor(1, thread_name_prefix="gatescope-atlas")
_QUEUED: set[str] = set()
_QUEUED_LOCK = threading.Lock()


def _build(
    model: LoadedModel, corpus: Corpus, root: FilePath, settings: Settings, key: str
) -> None:
    try:
        build_index(model, corpus, root, settings.precision, limits_of(settings))
    except (BuildBusy, CorpusError):
        pass  # another builder has it / the error is in the progress file
    except Exception:
        log.exception("atlas build of %s failed", key)
    finally:
        with _QUEUED_LOCK:
            _QUEUED.discard(key)


def start_build(model: LoadedModel, corpus: Corpus, settings: Settings) -> None:
    root = atlas_root(settings)
    key = current_key(model, corpus, settings)
    with _QUEUED_LOCK:
        if key in _QUEUED or atlas_status(root, key).status != "missing":
            return
        _QUEUED.add(key)
    _BUILDER.submit(_build, model, corpus, root, settings, key)


# -- status -------------------------------------------------------------------------------------


def status_payload(model: LoadedModel, settings: Settings) -> dict[str, Any]:
    """{"status", "progress", "corpus", "tracks"} of the model's current corpus."""
    root = atlas_root(settings)
    corpus = current_corpus(model, root)
    if corpus is None:
        return {
            "model": model.id,
            "status": "missing",
            "progress": 0.0,
            "corpus": None,
            "tracks": [],
            "error": None,
        }
    key = current_key(model, corpus, settings)
    found = atlas_status(root, key)
    status, progress = found.status, found.progress
    with _QUEUED_LOCK:
        if status == "missing" and key in _QUEUED:
            status = "building"
    payload: dict[str, Any] = {
        "model": model.id,
        "status": status,
        "progress": progress,
        "corpus": {"name": corpus.name, "documents": len(corpus.documents), "steps": None},
        "tracks": [],
        "error": found.error,
    }
    if status == "ready":
        index = open_index(root / key)
        payload["corpus"] = index.meta["corpus"]
        payload["skipped"] = index.meta["skipped"]
        payload["tracks"] = [info.as_dict() for info in index.tracks]
    return payload


class AtlasStatus(BaseModel):
    model: str
    status: Literal["ready", "building", "missing"]
    progress: float = Field(ge=0, le=1)
    corpus: dict[str, Any] | None = Field(description='{"name", "documents", "steps"}')
    tracks: list[dict[str, Any]]
    error: dict[str, Any] | None = Field(default=None, description="the last build's failure")
    skipped: dict[str, int] | None = Field(default=None, description="documents skipped, by code")


def _ready_index(model: LoadedModel, settings: Settings) -> AtlasIndex | JSONResponse:
    """The index, or a 202 with the status (starting the build when there is a corpus)."""
    root = atlas_root(settings)
    corpus = current_corpus(model, root)
    if corpus is None:
        raise ApiError(
            409,
            ["path", "model_id"],
            f"{model.id} has no atlas corpus yet: POST one to /api/v1/models/{model.id}/atlas",
            code="atlas_no_corpus",
        )
    key = current_key(model, corpus, settings)
    if atlas_status(root, key).status == "ready":
        return open_index(root / key)
    start_build(model, corpus, settings)
    return JSONResponse(status_payload(model, settings), status_code=202)


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": AtlasStatus, "description": "The index is being built: its status."}
}


@router.get(
    "/{model_id}/atlas",
    response_model=AtlasStatus,
    summary="The atlas's status",
    responses=NOT_FOUND_RESPONSE,
)
async def get_atlas(model: ModelDep, settings: SettingsDep, workers: WorkersDep) -> dict[str, Any]:
    """ready (with the corpus and the tracks), building (with progress 0..1) or missing."""
    return await workers.run(status_payload, model, settings)


@router.post(
    "/{model_id}/atlas",
    response_model=AtlasStatus,
    status_code=202,
    summary="Build the atlas (optionally of an uploaded corpus)",
    responses=NOT_FOUND_RESPONSE,
)
async def post_atlas(
    model: ModelDep,
    settings: SettingsDep,
    workers: WorkersDep,
    corpus: Annotated[
        UploadFile | None,
        File(description="Text (one document a line), a CSV (with `column`) or a numeric CSV."),
    ] = None,
    column: Annotated[str | None, Form(max_length=200)] = None,
) -> Any:
    """Starts building the index in the background; the model's own held-out data without a
    corpus. 200 when that index is ready already."""
    if corpus is not None:
        data = await corpus.read()
        name = FilePath(corpus.filename or "corpus").name[:200]
        await workers.run(_use_corpus, model, settings, data, name, column)
    else:
        await workers.run(_restart_default, model, settings)
    payload = await workers.run(status_payload, model, settings)
    if payload["corpus"] is not None and payload["status"] == "missing":
        given = current_corpus(model, atlas_root(settings))
        assert given is not None
        start_build(model, given, settings)
        payload = await workers.run(status_payload, model, settings)
    if payload["corpus"] is None:
        raise ApiError(
            409,
            ["body", "corpus"],
            f"{model.id} has no held-out data: upload a corpus",
            code="atlas_no_corpus",
        )
    return JSONResponse(payload, status_code=200 if payload["status"] == "ready" else 202)


def _use_corpus(
    model: LoadedModel, settings: Settings, data: bytes, name: str, column: str | None
) -> None:
    try:
        corpus = read_corpus_file(data, name, model.config, column)
    except CorpusError as error:
        raise ApiError(
            422, ["body", "corpus"], f"corpus: {error}", code=error.code, params=error.params
        ) from error
    limit = settings.atlas_max_documents
    if len(corpus.documents) > limit:
        raise ApiError(
            422,
            ["body", "corpus"],
            f"corpus: has {len(corpus.documents)} documents; the limit is {limit}",
            code="too_many_documents",
            params={"documents": len(corpus.documents), "limit": limit},
        )
    set_corpus(model, corpus, atlas_root(settings))


def _restart_default(model: LoadedModel, settings: Settings) -> None:
    """POST without a corpus: back to the model's own held-out data, when it has some."""
    from app.atlas.service import _pointer

    _pointer(atlas_root(settings), model.id).unlink(missing_ok=True)


# -- the corpus ---------------------------------------------------------------------------------


@router.get(
    "/{model_id}/atlas/corpus",
    summary="The indexed documents",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def get_corpus(
    model: ModelDep,
    settings: SettingsDep,
    workers: WorkersDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    document: Annotated[
        int | None, Query(ge=0, description="one document by its id (offset is then ignored)")
    ] = None,
) -> Any:
    """`{"documents": [{"id", "document", "steps", "first_step"}], "total"}`: `document` is the
    text (or the window of steps) as given; `id` is what every other atlas answer names."""
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    if document is not None:
        position = found.index_document(document)
        if position is None:
            raise ApiError(
                422,
                ["query", "document"],
                f"document {document} is not in the index",
                code="unknown_document",
                params={"document": document},
            )
        offset, limit = position, 1
    return await workers.run(_corpus_page, found, offset, limit)


def _corpus_page(index: AtlasIndex, offset: int, limit: int) -> dict[str, Any]:
    rows = index.corpus_rows[offset : offset + limit]
    return {
        "total": index.documents,
        "offset": offset,
        "documents": [
            {
                "id": int(index.doc_ids[offset + n]),
                "document": row,
                "first_step": int(index.first_step[offset + n]),
                "steps": int(index.offsets[offset + n + 1] - index.offsets[offset + n]),
            }
            for n, row in enumerate(rows)
        ],
    }


# -- the unit grid -------------------------------------------------------------------------------


@router.get(
    "/{model_id}/atlas/units",
    summary="Every unit in one line",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def get_units(model: ModelDep, settings: SettingsDep, workers: WorkersDep) -> Any:
    """`{"tracks": [{"name", "layer", "direction", "track", "units": [{"unit", "mean", "std",
    "top_word"}]}]}`: the build's summaries (stats.json) and each unit's highest word (read at
    least 3 times; null for series), without scanning the corpus."""
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    return {"tracks": await workers.run(unit_summaries, found)}


# -- a unit's card ------------------------------------------------------------------------------


@router.get(
    "/{model_id}/atlas/units/{layer}/{direction}/{track}/{unit}",
    summary="A unit's card",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def get_unit(
    model: ModelDep,
    settings: SettingsDep,
    workers: WorkersDep,
    layer: Annotated[int, Path(ge=0)],
    direction: Literal["forward", "backward"],
    track: Annotated[
        str, Path(max_length=20, pattern=r"^[a-z_]+$", description="a gate's name, cell or hidden")
    ],
    unit: Annotated[int, Path(ge=0)],
    k: Annotated[int, Query(ge=1, le=100)] = 20,
    window: Annotated[int, Query(ge=0, le=20)] = 5,
    words: Annotated[int, Query(ge=0, le=100)] = 10,
    min_count: Annotated[int, Query(ge=1)] = 3,
) -> Any:
    """`top`/`bottom` contexts `{"document", "step", "value", "tokens", "values", "focus",
    "window_start"}`, `quantiles`, `mean`, `std`, `saturation` and `words` (the mean change of
    h or c when a word is read, or the mean gate value). Values equal the trace endpoint's for
    that document and step (same rounding)."""
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    ref = TrackRef(layer, direction, track)
    _check_unit(found, ref, unit)
    return await workers.run(unit_card, found, ref, unit, k, window, words, min_count)


def _check_unit(index: AtlasIndex, ref: TrackRef, unit: int | None = None) -> None:
    try:
        info = index.info(ref)
    except KeyError:
        info = None
    if info is None or (unit is not None and unit >= info.units):
        known = ", ".join(f"{t.ref.name} ({t.units} units)" for t in index.tracks)
        what = ref.name if unit is None else f"{ref.name}/{unit}"
        raise ApiError(
            404,
            ["path", "unit"],
            f"the index has no {what}; it has {known}",
            code="unknown_track",
            params={"unit": what},
        )


def _parse_units(index: AtlasIndex, names: list[str], field: str) -> list[tuple[TrackRef, int]]:
    units = []
    for position, name in enumerate(names):
        try:
            ref, unit = parse_unit(name if name.count("/") == 3 else f"{name}/0")
        except ValueError as error:
            raise ApiError(
                422, ["body", field, position], f"{field}[{position}]: {error}", code="invalid"
            ) from error
        _check_unit(index, ref, unit)
        units.append((ref, unit))
    return units


# -- match, score, clusters ---------------------------------------------------------------------


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: int | None = Field(
        default=None, ge=0, description="a document id from .../atlas/corpus (or give input)"
    )
    input: ModelInput | None = Field(
        default=None,
        description="any input (as /trace takes it) whose steps are the pattern, instead of a "
        "document: what the explorer shows",
    )
    start: int = Field(ge=0, description="first trace step of the pattern")
    end: int = Field(ge=0, description="last trace step of the pattern (inclusive)")
    units: list[str] | None = Field(
        default=None,
        max_length=64,
        description='"layer/direction/track/unit"; omit to use the units that are on',
    )
    tracks: list[str] | None = Field(
        default=None,
        max_length=32,
        description='"layer/direction/track" where to look for units that are on '
        "(default: every hidden track)",
    )
    percentile: float = Field(
        default=90.0, ge=50, le=99.9, description="each unit is on above its own percentile"
    )
    min_shared: int | None = Field(default=None, ge=1)
    limit: int = Field(default=20, ge=1, le=200)


@router.post(
    "/{model_id}/atlas/match",
    summary="Spans where the same units switch on the same way",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def post_match(
    model: ModelDep, settings: SettingsDep, workers: WorkersDep, request: MatchRequest
) -> Any:
    """Ranked `{"document", "start", "end", "units", "shared", "fit", "score", "tokens",
    "values"}`: most shared units first, then the tightest fit (mean |value - pattern's|)."""
    if (request.document is None) == (request.input is None):
        raise ApiError(422, ["body"], "give exactly one of document and input", code="invalid")
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    units = _parse_units(found, request.units, "units") if request.units is not None else None
    tracks = (
        [ref for ref, _ in _parse_units(found, request.tracks, "tracks")]
        if request.tracks
        else None
    )
    query = MatchQuery(
        request.document if request.document is not None else -1,
        request.start,
        request.end,
        units,
        tracks,
        request.percentile,
        request.min_shared,
        request.limit,
    )
    try:
        return await workers.run(_match, model, found, query, request.input)
    except MatchError as error:
        raise ApiError(422, ["body"], str(error), code=error.code, params=error.params) from error


def _match(model: LoadedModel, index: AtlasIndex, query: MatchQuery, given: Any) -> dict[str, Any]:
    pattern = None if given is None else input_pattern(model, index, given, query.start, query.end)
    return match(index, query, pattern)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=1000)
    regex: str | None = Field(default=None, max_length=200, description="searched in every token")
    is_pad: bool = False
    is_oov: bool = False
    condition: str | None = Field(
        default=None, max_length=100, description="series: e.g. precipitation > 0"
    )
    tracks: list[str] | None = Field(default=None, max_length=32)
    limit: int = Field(default=20, ge=1, le=1000)


@router.post(
    "/{model_id}/atlas/score",
    summary="Units ranked by how well they separate a feature (AUROC)",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def post_score(
    model: ModelDep, settings: SettingsDep, workers: WorkersDep, request: ScoreRequest
) -> Any:
    """Exactly one feature: `words`, `regex`, `is_pad`, `is_oov` or `condition`. Every unit of
    every track (or of `tracks`) ranked by |AUROC - 0.5|, with its mean value where the feature
    holds and where it does not."""
    given = [
        request.words is not None,
        request.regex is not None,
        request.is_pad,
        request.is_oov,
        request.condition is not None,
    ]
    if sum(given) != 1:
        raise ApiError(
            422,
            ["body"],
            "give exactly one feature: words, regex, is_pad, is_oov or condition",
            code="invalid",
        )
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    tracks = (
        [ref for ref, _ in _parse_units(found, request.tracks, "tracks")]
        if request.tracks
        else None
    )
    feature = Feature(
        request.words, request.regex, request.is_pad, request.is_oov, request.condition
    )
    try:
        return await workers.run(score, found, feature, tracks, request.limit)
    except ScoreError as error:
        raise ApiError(422, ["body"], str(error), code=error.code, params=error.params) from error


@router.get(
    "/{model_id}/atlas/clusters",
    summary="Unit-word co-clusters",
    responses={**NOT_FOUND_RESPONSE, **ACCEPTED},
)
async def get_clusters(
    model: ModelDep,
    settings: SettingsDep,
    workers: WorkersDep,
    track: Annotated[
        str | None,
        Query(
            max_length=40,
            description="layer/direction/track; default: the top layer's forward hidden",
        ),
    ] = None,
    clusters: Annotated[int, Query(ge=1, le=12)] = 4,
    words: Annotated[int, Query(ge=2, le=300)] = 60,
) -> Any:
    """Spectral co-clustering (scikit-learn) of the units x frequent-words matrix of mean
    responses: `clusters` of `units` and `words`, and the signed `matrix` itself."""
    found = await workers.run(_ready_index, model, settings)
    if isinstance(found, JSONResponse):
        return found
    if not found.is_text:
        raise ApiError(
            422,
            ["path", "model_id"],
            "co-clusters of units and words need a text model",
            code="needs_text",
        )
    if track is None:
        ref = [
            info.ref
            for info in found.tracks
            if info.ref.track == "hidden" and info.ref.direction == "forward"
        ][-1]
    else:
        ref = _parse_units(found, [track], "track")[0][0]
    return await workers.run(co_clusters, found, ref, clusters, words)
