"""The unit atlas page, /atlas?model=<id> (issue 12): a server-rendered shell on base.html;
static/js/atlas/page.js fills it from the atlas API, so the numbers on screen are the API's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.pages import render_page

router = APIRouter(include_in_schema=False)


@router.get("/atlas", response_class=HTMLResponse)
def atlas_page(request: Request) -> HTMLResponse:
    return render_page(request, "atlas.html")
