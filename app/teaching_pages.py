"""The teaching pages: /compare, /gradient, /saturation, /padding, /state, /whatif.

Each page is a server-rendered shell on the explorer's base.html that takes the explorer's
query (?model=<id>&input=...) and renders straight from it: static/js/teaching/<page>.js fetches
the series from the JSON API (/api/v1/models/{id}/<series>), so an access token guards the data
exactly as it guards the API, and the numbers on screen are the API's.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.pages import render_page

router = APIRouter(include_in_schema=False)

# page -> its English title (the page switches the text to Korean in the browser); each is
# served at /<page>.
TEACHING_PAGES: dict[str, str] = {
    # the same input through the sibling RNN, LSTM and GRU models, with parameter formulas
    "compare": "Compare cells: RNN, LSTM and GRU on the same input",
    # sensitivity of the final state to each step, and what the keep gates retain
    "gradient": "The vanishing gradient",
    # left- vs right-saturated fractions per unit and gate; a click opens the unit
    "saturation": "Gate saturation",
    # the sentence pre-padded, post-padded and masked
    "padding": "Padding and masking",
    # return_sequences between stacked layers, and a carried versus a fresh state
    "state": "Stacking and state: return_sequences and stateful",
    # issue 13: clamp a gate, patch a state, and see what follows (the what-if API)
    "whatif": "What if: clamp a gate, patch a state",
}


def render_teaching_page(request: Request, page: str) -> HTMLResponse:
    """One teaching page, with the explorer's assets, import map and content policy."""
    extra = {"teaching_page": page, "page_title": TEACHING_PAGES[page]}
    return render_page(request, f"teaching/{page}.html", extra)


def _route(page: str) -> Callable[[Request], HTMLResponse]:
    """The route handler of one teaching page."""

    def handler(request: Request) -> HTMLResponse:
        return render_teaching_page(request, page)

    return handler


for _page in TEACHING_PAGES:
    router.add_api_route(
        f"/{_page}",
        _route(_page),
        methods=["GET"],
        response_class=HTMLResponse,
        name=f"{_page}_page",
    )
