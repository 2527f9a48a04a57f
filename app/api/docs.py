"""Swagger UI 5 served from the fastapi-offline package: /docs works with no internet at all.

The old swagger-ui-bundle package shipped Swagger UI 3.20, which cannot read the OpenAPI 3.1 that
FastAPI writes. fastapi-offline ships a current Swagger UI (and nothing we would not serve); only
its static folder is used. The page carries a Content-Security-Policy that allows scripts from this
origin and the one inline start-up script (by its hash), and connections to this origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS_ASSETS_URL = "/docs/assets"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)


def _script_hashes(html: str) -> str:
    """CSP source expressions ('sha256-...') for every inline script in `html`."""
    digests = (hashlib.sha256(body.encode()).digest() for body in INLINE_SCRIPT.findall(html))
    return " ".join(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)


def content_security_policy(html: str) -> str:
    """Everything from this origin; Swagger UI's inline styles; its inline start-up script only."""
    return (
        "default-src 'none'; "
        f"script-src 'self' {_script_hashes(html)}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """The interactive API documentation, every asset local."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="gatescope API",
        swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        # validatorUrl null: no badge fetched from the public validator
        swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
    )
    html = bytes(page.body).decode()
    page.headers["Content-Security-Policy"] = content_security_policy(html)
    return page


@router.get("/docs/oauth2-redirect", response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
