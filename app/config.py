"""Settings from the environment (prefix GATESCOPE_), one cached instance per process."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.limits import ABSOLUTE_MAX_STEPS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the server; each one is also a `GATESCOPE_<NAME>` environment variable."""

    model_config = SettingsConfigDict(env_prefix="GATESCOPE_", extra="ignore")

    models_dir: Path = PROJECT_ROOT / "models"
    data_dir: Path = PROJECT_ROOT / "data"
    token: str | None = Field(
        default=None, description="When set, API calls need this bearer token."
    )
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token /metrics needs; unset: the API's token (none without one).",
    )
    access_log: Literal["json", "off"] = Field(
        default="off", description="json: one JSON line per request on stderr; off: none."
    )
    allowed_origins: str = Field(
        default="",
        description="Comma-separated origins (https://host[:port]) whose pages may POST and "
        "DELETE besides the server's own; browsers' requests from any other origin get a 403.",
    )
    max_steps: int = Field(
        default=2000, ge=1, le=ABSOLUTE_MAX_STEPS, description="Most steps of one numeric input."
    )
    max_batch: int = Field(default=64, ge=1, description="Most inputs of one predict call.")
    max_hidden_size: int = Field(default=512, ge=1, description="Largest ad-hoc hidden size.")
    max_layers: int = Field(default=4, ge=1, description="Most layers of an ad-hoc network.")
    max_input_size: int = Field(default=256, ge=1, description="Widest ad-hoc input step.")
    max_text_chars: int = Field(default=10_000, ge=1, description="Longest text input.")
    max_trace_values: int = Field(
        default=4_000_000,
        ge=1,
        description="Most numbers one trace may return (steps x units x series x layers).",
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    max_upload_bytes: int = Field(default=50_000_000, ge=1024)
    precision: int = Field(default=4, ge=1, le=17, description="Decimal places of trace floats.")
    torch_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Intra-op threads per server process; requests already run side by side.",
    )
    model_threads: int = Field(
        default_factory=lambda: min(4, max(2, os.cpu_count() or 2)),
        ge=1,
        le=64,
        description="Threads per server process that trace and predict (default: the cores, "
        "2 to 4); more requests queue. Much of a trace holds the GIL, so more threads than "
        "cores only add contention.",
    )
    heavy_cost: int = Field(
        default=250_000,
        ge=1,
        description="Estimated cost (about the numbers a trace holds, about 0.2 us each) from "
        "which a request is heavy: it runs in the heavy lane, apart from the light requests.",
    )
    heavy_threads: int = Field(
        default=1, ge=1, le=64, description="Threads per process for heavy requests."
    )
    heavy_queue: int = Field(
        default=2,
        ge=0,
        description="Heavy requests that may wait per process; more are refused with a 503 "
        "and Retry-After.",
    )
    light_queue: int = Field(
        default=256,
        ge=0,
        description="Light requests that may wait per process; more are refused with a 503.",
    )
    max_batch_chars: int = Field(
        default=20_000,
        ge=1,
        description="Most characters of all the texts of one predict call together.",
    )
    body_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds a client may pause while sending a body before a 408.",
    )
    cache_bytes: int = Field(
        default=64_000_000,
        ge=0,
        description="Bytes of rendered traces kept per process for repeated requests; 0: off.",
    )
    atlas_max_documents: int = Field(
        default=100_000, ge=1, description="Most documents of one atlas corpus."
    )
    atlas_max_steps: int = Field(
        default=2_000_000, ge=1, description="Most real steps one atlas index may hold."
    )
    gzip_min_bytes: int = Field(default=1024, ge=0, description="Smallest response to gzip.")
    gzip_level: int = Field(default=1, ge=1, le=9, description="zlib level of gzipped responses.")
    # The playground (issue 14): runs live under <data_dir>/playground.
    playground_concurrent: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Playground runs training at once per process; the others queue in order.",
    )
    playground_max_steps: int = Field(
        default=20_000, ge=1, description="Most training steps of one playground run."
    )
    playground_max_call_steps: int = Field(
        default=2_000, ge=1, description="Most steps one train request may ask for."
    )
    playground_max_call_seconds: float = Field(
        default=20.0, gt=0, description="Wall time one train request may take (it stops early)."
    )
    playground_max_run_seconds: float = Field(
        default=900.0, gt=0, description="Training wall time one playground run may use in all."
    )
    playground_max_memory_mb: float = Field(
        default=256.0,
        gt=0,
        description="Largest estimated training memory of one run (activations and weights).",
    )
    playground_idle_seconds: float = Field(
        default=3600.0, gt=0, description="Runs untouched this long are removed."
    )

    @field_validator("token", "metrics_token")
    @classmethod
    def _token_is_not_empty(cls, token: str | None, info: ValidationInfo) -> str | None:
        name = f"GATESCOPE_{(info.field_name or 'token').upper()}"
        if token is not None and not token.strip():
            raise ValueError(
                f"{name} is set but empty: an empty token would protect nothing. "
                "Unset it to run without a token, or set it to a secret."
            )
        if token is not None and token != token.strip():
            raise ValueError(f"{name} has spaces around it; remove them.")
        return token

    @property
    def origins(self) -> list[str]:
        """allowed_origins as a list."""
        return [origin.strip() for origin in self.allowed_origins.split(",") if origin.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
