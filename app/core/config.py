"""Settings from `ARREARS_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/arrears.db"
# Development defaults; `production` refuses to start while any of these is in use.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-in-production"
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class Background(StrEnum):
    ON = "on"
    OFF = "off"


class Settings(BaseSettings):
    """Process configuration; a fresh install needs none of it."""

    model_config = SettingsConfigDict(env_prefix="ARREARS_", extra="ignore")

    env: Environment = Environment.DEV
    database_url: str = DEFAULT_DATABASE_URL
    bootstrap_admin_key: SecretStr | None = None
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    data_key: SecretStr = SecretStr(DEV_DATA_KEY)
    background: Background = Background.ON
    sweep_interval_s: float = Field(default=60.0, gt=0)
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    shutdown_drain_s: float = Field(default=2.0, ge=0, le=120)
    idempotency_ttl_hours: int = Field(default=24, ge=24)
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    webhook_backoff_base_s: float = Field(default=10.0, gt=0)
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0)
    webhook_poll_interval_s: float = Field(default=1.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_admin: bool = False

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env is not Environment.PRODUCTION:
            return self
        problems = []
        if self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            problems.append("ARREARS_SECRET_KEY")
        if self.data_key.get_secret_value() == DEV_DATA_KEY:
            problems.append("ARREARS_DATA_KEY")
        if len(self.secret_key.get_secret_value()) < 32:
            problems.append("ARREARS_SECRET_KEY (at least 32 characters)")
        admin = self.bootstrap_admin_key
        if admin is not None and len(admin.get_secret_value()) < 32:
            problems.append("ARREARS_BOOTSTRAP_ADMIN_KEY (at least 32 characters)")
        if problems:
            raise ValueError("production needs explicit secrets: " + ", ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def test_clock_enabled(self) -> bool:
        return self.env is Environment.TEST


@lru_cache
def get_settings() -> Settings:
    """Settings read once from the environment."""
    return Settings()
