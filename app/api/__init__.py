"""The HTTP surface: /healthz, the versioned JSON API under /api/v1, and the offline /docs.

Every /api route needs the bearer token when GATESCOPE_TOKEN is set; /healthz and /docs do not.
"""

import os

from fastapi import APIRouter, Depends, Response

from app.api import adhoc, atlas, docs, models, playground, teaching, uploads, whatif, writing
from app.api.deps import RegistryDep, require_token
from app.api.errors import ERROR_RESPONSES
from app.api.schemas import Health

api_router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(require_token)], responses=ERROR_RESPONSES
)
api_router.include_router(models.router)
api_router.include_router(writing.router)
api_router.include_router(adhoc.router)
api_router.include_router(uploads.router)
api_router.include_router(teaching.router)  # teaching pages (issue 6): app/api/teaching.py
api_router.include_router(atlas.router)  # the unit atlas (issue 12): app/api/atlas.py
api_router.include_router(whatif.router)  # what if (issue 13): app/api/whatif.py
api_router.include_router(playground.router)  # the playground (issue 14): app/api/playground.py

router = APIRouter()


WORKER_HEADER = "X-Gatescope-Worker"


@router.get(
    "/healthz",
    response_model=Health,
    tags=["health"],
    summary="Liveness and model count",
    description=f"`{WORKER_HEADER}` names the worker process that answered (its pid).",
)
def healthz(registry: RegistryDep, response: Response) -> Health:
    response.headers[WORKER_HEADER] = str(os.getpid())
    return Health(status="ok", models=len(registry.shipped))


@router.head("/healthz", include_in_schema=False)
def healthz_head(registry: RegistryDep, response: Response) -> None:
    """The same check for monitors that ask with HEAD (a 405 before)."""
    healthz(registry, response)


router.include_router(api_router)
router.include_router(docs.router)
