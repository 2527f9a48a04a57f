"""HTML pages rendered with Jinja2, and Plotly's JS served from the installed plotly package.

The explorer page is a server-rendered shell; static/js/explorer.js fills it from the JSON API, so
an access token (when configured) guards the data exactly as it guards the API. Nothing the page
needs comes from another origin: Plotly is the copy inside the installed Python package.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app import __version__
from app.config import PROJECT_ROOT

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")

# Plotly's cartesian bundle (heatmap, bar, scatter: all the pages draw) from npm, which `make`
# installs into the git-ignored vendor/ when npm is there: 1.5 MB instead of 4.8 MB, so a cold
# page parses a third of the script. Without it, the full bundle inside the Python package.
PLOTLY_PARTIAL_JS = (
    PROJECT_ROOT
    / "vendor"
    / "node_modules"
    / "plotly.js-cartesian-dist-min"
    / "plotly-cartesian.min.js"
)
PLOTLY_FULL_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def plotly_js_path() -> Path:
    """The Plotly bundle this server sends: the cartesian one when installed, else the full."""
    return PLOTLY_PARTIAL_JS if PLOTLY_PARTIAL_JS.is_file() else PLOTLY_FULL_JS


# The URL carries the version, so a browser may keep the file for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1)
def _plotly_bytes() -> tuple[bytes, bytes]:
    """Plotly's minified JS, plain and gzipped (read and compressed once per process)."""
    plain = plotly_js_path().read_bytes()
    return plain, gzip.compress(plain, compresslevel=6, mtime=0)


def _file_version(path: Path) -> str:
    """A short hash of a file's content: a changed file gets a new URL, so no stale cache."""
    return hashlib.sha1(path.read_bytes()).hexdigest()[:10]


def asset_urls() -> dict[str, str]:
    """Every static file's URL with its version, e.g. /static/js/api.js -> ...api.js?v=1a2b."""
    static = PROJECT_ROOT / "static"
    return {
        f"/static/{path.relative_to(static).as_posix()}": (
            f"/static/{path.relative_to(static).as_posix()}?v={_file_version(path)}"
        )
        for path in sorted(static.rglob("*"))
        if path.is_file()
    }


@lru_cache(maxsize=1)
def plotly_url() -> str:
    """Versioned by the Python package and the bundle's content (partial and full differ)."""
    return f"/vendor/plotly.min.js?v={plotly.__version__}-{_file_version(plotly_js_path())}"


def content_security_policy(import_map: str) -> str:
    """Same origin only: the page can load and send nothing elsewhere (it must work offline).

    The one inline script is the import map, allowed by its hash; Plotly needs inline styles.
    """
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'sha256-{digest}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


def render_page(
    request: Request, template: str, extra: dict[str, Any] | None = None
) -> HTMLResponse:
    """A page on base.html with the versioned assets, the import map and the content policy:
    every page (explorer, teaching pages, atlas, playground) is served through here."""
    assets = asset_urls()
    # ES modules import each other by plain URL; the import map gives each its versioned one.
    modules = {url: versioned for url, versioned in assets.items() if url.endswith(".js")}
    import_map = json.dumps({"imports": modules}, separators=(",", ":"))
    context = {
        "plotly_url": plotly_url(),
        "assets": assets,
        "import_map": import_map,
        "app_version": __version__,
        **(extra or {}),
    }
    response = templates.TemplateResponse(request, template, context)
    response.headers["Content-Security-Policy"] = content_security_policy(import_map)
    return response


@router.get("/", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    """The gate explorer: pick a model, run an input, step through every gate."""
    return render_page(request, "explorer.html")


@router.get("/playground", response_class=HTMLResponse)
def playground(request: Request) -> HTMLResponse:
    """The playground (issue 14): train an RNN, LSTM or GRU live and watch its gates learn."""
    return render_page(request, "playground.html")


@router.get("/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """Plotly from the installed packages (never a CDN), gzipped when the browser accepts it."""
    plain, packed = _plotly_bytes()
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript", headers=headers)
    return Response(plain, media_type="text/javascript", headers=headers)
