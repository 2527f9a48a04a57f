"""Fast responses: orjson bytes returned directly, skipping pydantic on large payloads.

The routes still declare their response models, so the OpenAPI schema documents exactly what these
functions write.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

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
    view: TraceView, export: ExportFormat, precision: int | None, stem: str
) -> Response:
    """A trace in the negotiated format, with a Content-Disposition filename."""
    disposition = "inline" if export == "json" else "attachment"
    return Response(
        render(view, export, precision),
        media_type=MEDIA_TYPES[export],
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename(stem, export)}"',
            "Vary": "Accept",
        },
    )
