"""/docs in Chromium: Swagger UI renders every operation of /openapi.json, all from 127.0.0.1."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_docs_render_every_operation_offline(
    explorer: Any, api: httpx.Client, live_server: Any
) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    operations = sum(1 for item in paths.values() for method in item if method in METHODS)
    page = explorer.page
    page.goto(f"{live_server.url}/docs")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.opblock').length >= n", arg=operations
    )
    assert page.locator(".opblock").count() == operations
    assert page.locator(".swagger-ui .errors-wrapper").count() == 0
    explorer.assert_clean()
