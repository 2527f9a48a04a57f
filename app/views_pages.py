"""The teaching views as pages: /compare, /gradient, /saturation, /padding, /state.

Each page is a server-rendered shell on the explorer's base.html that takes the explorer's
query (?model=<id>&input=...) and renders straight from it: static/js/views/<view>.js fetches
the series from the JSON API (/api/v1/models/{id}/<series>), so an access token guards the data
exactly as it guards the API, and the numbers on screen are the API's.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import __version__
from app.pages import asset_urls, content_security_policy, plotly_url, templates

router = APIRouter(include_in_schema=False)

# view -> its English title (the page switches the text to Korean in the browser).
VIEWS: dict[str, str] = {
    "compare": "Compare cells: RNN, LSTM and GRU on the same input",
    "gradient": "The vanishing gradient",
    "saturation": "Gate saturation",
    "padding": "Padding and masking",
    "state": "Stacking and state: return_sequences and stateful",
}


def render_view(request: Request, view: str) -> HTMLResponse:
    """The page of one view, with the explorer's assets, import map and content policy."""
    assets = asset_urls()
    modules = {url: versioned for url, versioned in assets.items() if url.endswith(".js")}
    import_map = json.dumps({"imports": modules}, separators=(",", ":"))
    context = {
        "view": view,
        "view_title": VIEWS[view],
        "plotly_url": plotly_url(),
        "assets": assets,
        "import_map": import_map,
        "app_version": __version__,
    }
    response = templates.TemplateResponse(request, f"views/{view}.html", context)
    response.headers["Content-Security-Policy"] = content_security_policy(import_map)
    return response


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> HTMLResponse:
    """The same input through the sibling RNN, LSTM and GRU models, with parameter formulas."""
    return render_view(request, "compare")


@router.get("/gradient", response_class=HTMLResponse)
def gradient_page(request: Request) -> HTMLResponse:
    """Sensitivity of the final state to each step, and what the keep gates retain."""
    return render_view(request, "gradient")


@router.get("/saturation", response_class=HTMLResponse)
def saturation_page(request: Request) -> HTMLResponse:
    """Left- vs right-saturated fractions per unit and gate; a click opens the unit."""
    return render_view(request, "saturation")


@router.get("/padding", response_class=HTMLResponse)
def padding_page(request: Request) -> HTMLResponse:
    """The sentence pre-padded, post-padded and masked."""
    return render_view(request, "padding")


@router.get("/state", response_class=HTMLResponse)
def state_page(request: Request) -> HTMLResponse:
    """return_sequences between stacked layers, and a carried versus a fresh state."""
    return render_view(request, "state")
