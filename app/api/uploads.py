"""Uploaded models over HTTP: POST /api/v1/models (multipart) and DELETE /api/v1/models/{id}.

The import itself (conversion, checks, atomic storage) lives in app.importers; this router only
reads the form, hands the bytes over in the thread pool, and maps ModelImportError to the one
error shape. The body size is capped by the body-limit middleware (GATESCOPE_MAX_UPLOAD_BYTES).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Response, UploadFile

from app.api.deps import MODEL_ID_SCHEMA, RegistryDep, SettingsDep
from app.api.errors import ApiError, ErrorResponse
from app.api.schemas import ModelSummary
from app.importers import (
    ImportLimits,
    ModelImportError,
    delete_model,
    import_model_bytes,
    split_names,
)
from app.importers.storage import check_model_id
from app.zoo.describe import summary_of

router = APIRouter(prefix="/models", tags=["uploads"])

UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorResponse, "description": "The id is a shipped model's or already taken."},
    413: {
        "model": ErrorResponse,
        "description": "The upload, or what it unpacks to, is too large.",
    },
    503: {
        "model": ErrorResponse,
        "description": "The data directory is read-only or not writable "
        "(code `storage_unavailable`), or the server is busy (code `busy`).",
    },
    507: {
        "model": ErrorResponse,
        "description": "The server's disk is full (code `storage_full`).",
    },
}
DELETE_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorResponse, "description": "Shipped models cannot be deleted."},
    404: {"model": ErrorResponse, "description": "No uploaded model with this id."},
    503: {
        "model": ErrorResponse,
        "description": "The data directory is read-only (code `storage_unavailable`).",
    },
}


@router.post(
    "",
    status_code=201,
    response_model=ModelSummary,
    responses=UPLOAD_ERRORS,
    summary="Upload a model",
    description="A Keras .keras or .h5 file (Embedding, SimpleRNN/LSTM/GRU stacked or "
    "chained, Bidirectional, Dense ending in sigmoid, softmax or one value), or PyTorch weights "
    "(.safetensors or a torch.save state dict) with gatescope's config.json (format 1 or 2); "
    "a classifier's class names come in `labels`; text models need their Keras tokenizer "
    "JSON. Nothing uploaded is unpickled or run. Returns the new model's summary; it is then "
    "served like a shipped model.",
)
def upload_model(
    registry: RegistryDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile, File(description="The model: .keras, .h5, .safetensors, .pt, .zip")
    ],
    tokenizer: Annotated[
        UploadFile | None, File(description="Keras tokenizer.to_json(), for text models.")
    ] = None,
    config: Annotated[
        UploadFile | None,
        File(
            description="gatescope config.json (PyTorch weights), or names and scaling for Keras."
        ),
    ] = None,
    id: Annotated[
        str | None, Form(description="The new model's id; from the file name if empty.")
    ] = None,
    title: Annotated[str | None, Form(max_length=200)] = None,
    maxlen: Annotated[
        int | None, Form(ge=1, le=10_000, description="pad_sequences maxlen.")
    ] = None,
    padding: Annotated[Literal["pre", "post"] | None, Form()] = None,
    features: Annotated[
        str | None, Form(description='Feature names: "a, b, c" or a JSON list.')
    ] = None,
    labels: Annotated[
        str | None,
        Form(
            description="A classifier's class names in output order: one per line, "
            '"a, b, c" or a JSON list (default "class 0", "class 1", ...).'
        ),
    ] = None,
) -> ModelSummary:
    try:
        model = import_model_bytes(
            file.file.read(),
            file.filename or "upload",
            tokenizer=tokenizer.file.read() if tokenizer is not None else None,
            config=config.file.read() if config is not None else None,
            model_id=id or None,
            title=title or None,
            maxlen=maxlen,
            padding=padding,
            features=split_names(features, "features"),
            labels=split_names(labels, "labels"),
            data_dir=settings.data_dir,
            reserved_ids=set(registry.shipped),
            limits=ImportLimits.from_settings(settings),
        )
    except ModelImportError as error:
        raise _api_error(error) from error
    finally:
        for upload in (file, tokenizer, config):
            if upload is not None:
                upload.file.close()
    return ModelSummary(**summary_of(model))


@router.delete(
    "/{model_id}",
    status_code=204,
    responses=DELETE_ERRORS,
    summary="Delete an uploaded model",
    description="Removes an uploaded model for every worker. Shipped models cannot be deleted.",
)
def remove_model(
    model_id: Annotated[
        str, Path(description="An uploaded model's id.", json_schema_extra=MODEL_ID_SCHEMA)
    ],
    registry: RegistryDep,
    settings: SettingsDep,
) -> Response:
    if model_id in registry.shipped:
        raise ApiError(
            403,
            ["path", "model_id"],
            f"{model_id!r} is a model shipped with gatescope; only uploaded models can be deleted",
            "forbidden",
        )
    try:
        check_model_id(model_id)
    except ModelImportError as error:
        raise ApiError(422, ["path", "model_id"], error.message, "invalid_id") from error
    try:
        deleted = delete_model(model_id, settings.data_dir)
    except ModelImportError as error:
        raise _api_error(error) from error
    if not deleted:
        raise ApiError(
            404, ["path", "model_id"], f"there is no uploaded model {model_id!r}", "not_found"
        )
    registry.refresh_uploads()
    return Response(status_code=204)


def _api_error(error: ModelImportError) -> ApiError:
    kinds = {
        409: "conflict",
        413: "too_large",
        422: "invalid_model",
        503: "storage_unavailable",
        507: "storage_full",
    }
    return ApiError(
        error.status_code,
        ["body", error.field],
        error.message,
        kinds.get(error.status_code, "invalid_model"),
    )
