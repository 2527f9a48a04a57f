"""The unit atlas page, /atlas?model=<id> (issue 12): a server-rendered shell on base.html;
static/js/atlas/page.js fills it from the atlas API, so the numbers on screen are the API's."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import __version__
from app.pages import asset_urls, content_security_policy, plotly_url, templates

router = APIRouter(include_in_schema=False)


@router.get("/atlas", response_class=HTMLResponse)
def atlas_page(request: Request) -> HTMLResponse:
    assets = asset_urls()
    modules = {url: versioned for url, versioned in assets.items() if url.endswith(".js")}
    import_map = json.dumps({"imports": modules}, separators=(",", ":"))
    context = {
        "plotly_url": plotly_url(),
        "assets": assets,
        "import_map": import_map,
        "app_version": __version__,
    }
    response = templates.TemplateResponse(request, "atlas.html", context)
    response.headers["Content-Security-Policy"] = content_security_policy(import_map)
    return response
