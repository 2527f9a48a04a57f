"""Settings from the environment (prefix GATESCOPE_), one cached instance per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATESCOPE_", extra="ignore")

    models_dir: Path = PROJECT_ROOT / "models"
    data_dir: Path = PROJECT_ROOT / "data"
    token: str | None = Field(default=None, description="When set, API calls need this bearer token.")
    max_steps: int = Field(default=2000, ge=1)
    max_batch: int = Field(default=64, ge=1)
    max_hidden_size: int = Field(default=512, ge=1)
    max_layers: int = Field(default=4, ge=1)
    max_input_size: int = Field(default=256, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    max_upload_bytes: int = Field(default=50_000_000, ge=1024)
    precision: int = Field(default=4, ge=1, le=17, description="Decimal places of trace floats.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
