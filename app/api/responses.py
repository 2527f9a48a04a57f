"""Fast responses: orjson bytes returned directly, skipping pydantic on large payloads.

The routes still declare their response models, so the OpenAPI schema documents exactly what these
functions write.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from app.api.compress import gzip_bytes
from app.api.deps import Gzip
from app.serialize import MEDIA_TYPES, ExportFormat, TraceView, filename, render

TRACE_CONTENT: dict[str, Any] = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": "layer,direction,step,unit,token,reset,update,candidate,cell,hidden\r\n"
        "0,forward,0,0,영화,0.4811,0.5132,-0.0913,,-0.0445\r\n",
    },
    "application/x-npz": {"schema": {"type": "string", "format": "binary"}},
}
TRACE_DESCRIPTION = (
    "The trace as JSON; as CSV with `?format=csv` or `Accept: text/csv` (one row per layer, "
    "direction, step and unit); as NumPy .npz with `?format=npz` or `Accept: application/x-npz` "
    "(arrays `layer0_forward_forget` (steps, units), ..., `tokens` or `values`; full float32 "
    "precision)."
)


def json_response(payload: Any, status_code: int = 200) -> Response:
    """Any JSON-able payload (NumPy arrays included), serialised by orjson."""
    return Response(
        orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status_code,
        media_type="application/json",
    )


def trace_response(
    view: TraceView,
    export: ExportFormat,
    precision: int | None,
    stem: str,
    compression: Gzip | None = None,
) -> Response:
    """A trace in the negotiated format, with a Content-Disposition filename.

    With `compression` (the client accepts gzip), JSON and CSV are compressed right here, in the
    handler's worker thread (large bodies on two threads: zlib releases the GIL), instead of by
    GZipMiddleware on the event loop, which leaves a response with a Content-Encoding alone.
    """
    body = render(view, export, precision)
    disposition = "inline" if export == "json" else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{filename(stem, export)}"',
        "Vary": "Accept, Accept-Encoding",
    }
    if compression is not None and export != "npz" and len(body) >= compression.min_bytes:
        body = gzip_bytes(body, compression.level)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MEDIA_TYPES[export], headers=headers)
