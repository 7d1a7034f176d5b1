"""One settings object for the whole service, read from `GREENROOM_*` environment variables."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from greenroom.core.extras import missing_extra

# The development fallback. Production refuses to start with it (or with anything like it).
DEV_SECRET = "dev:insecure-development-secret-do-not-use-in-production"  # noqa: S105
_PLACEHOLDERS = ("changeme", "change-me", "secret", "placeholder", "insecure", "example", "xxx")


class ServerSecret:
    """A server secret with the version id that is stored beside every hash made with it."""

    __slots__ = ("_mac", "value", "version")

    def __init__(self, version: str, value: bytes) -> None:
        self.version = version
        self.value = value
        # Keyed once: copying it is cheaper than keying a new HMAC for every digest.
        self._mac = hmac.new(value, digestmod=hashlib.sha256)

    def hexdigest(self, data: bytes) -> str:
        """HMAC-SHA256 of `data` under this secret, in hex."""
        mac = self._mac.copy()
        mac.update(data)
        return mac.hexdigest()

    def __repr__(self) -> str:  # never show the value
        return f"ServerSecret(version={self.version!r})"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GREENROOM_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    base_domain: str = "greenroom.localhost"
    public_scheme: Literal["http", "https"] = "http"
    # The port that public URLs carry (SSO links and the like); None means the scheme's default.
    public_port: int | None = None
    database_url: str | None = None
    data_dir: Path = Path("data")
    # Comma-separated `version:secret` pairs. The first signs new hashes; all are accepted
    # when reading, so a secret can be rotated without invalidating existing keys at once.
    secrets: SecretStr | None = None
    trust_proxy: bool = False
    log_level: str = "INFO"
    log_json: bool = True

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    upload_max_bytes: int = Field(default=50 * 1_048_576, ge=1024)
    # The content pack (modules, question sets); None means the one shipped in the package.
    content_dir: Path | None = None
    # Key and org look-ups are cached per process for at most this long.
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=5)
    redis_url: str | None = None
    # Requests a minute: per key (100 a second, what large partner APIs allow: a plain sync of
    # a few hundred users must not be throttled), and per org (two keys at full speed).
    rate_limit_per_minute: int = Field(default=12_000, ge=1)
    key_rate_limit_per_minute: int = Field(default=6_000, ge=1)
    anonymous_daily_cap: int = Field(default=1000, ge=0)
    purge_interval_seconds: int = Field(default=3600, ge=10)
    session_idle_minutes: int = Field(default=60, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    webhooks_allow_private: bool = False
    run_worker: bool = True
    # Webhook deliveries (docs/operations.md, docs/webhooks.md).
    webhooks_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhooks_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Endpoints in the Big Interview format: a 200 within this is a success (Big Interview's 30 s).
    webhooks_biginterview_timeout_seconds: float = Field(default=30.0, gt=0, le=120)
    webhooks_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhooks_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhooks_retry_window_hours: float = Field(default=24.0, gt=0)
    webhooks_disable_after_hours: float = Field(default=24.0, gt=0)
    webhooks_worker_poll_seconds: float = Field(default=1.0, gt=0)
    webhooks_worker_batch: int = Field(default=20, ge=1, le=500)
    webhooks_log_retention_days: int = Field(default=30, ge=1)
    # Fairness (docs/webhooks.md, Delivery): sends in flight per worker, per endpoint (across
    # all workers), and how many endpoints an org may register (both environments together).
    webhooks_worker_concurrency: int = Field(default=50, ge=1, le=1000)
    webhooks_endpoint_concurrency: int = Field(default=4, ge=1, le=100)
    webhooks_max_endpoints_per_org: int = Field(default=20, ge=1)
    # Background jobs (greenroom.jobs, docs/operations.md): jobs run at once per process, how
    # often an idle runner looks for due jobs, how long a claim holds without being renewed,
    # and the retry backoff of a failed job (exponential from base, capped).
    jobs_concurrency: int = Field(default=4, ge=1, le=64)
    jobs_poll_seconds: float = Field(default=1.0, gt=0)
    jobs_lease_seconds: float = Field(default=60.0, ge=1)
    jobs_retry_base_seconds: float = Field(default=10.0, gt=0)
    jobs_retry_max_seconds: float = Field(default=3600.0, gt=0)
    jobs_retention_days: int = Field(default=30, ge=1)
    # Spoken answers (docs/operations.md, Spoken answers): the transcription engine by name
    # ("pocketsphinx", or an operator's "package.module:Class"), and the worker processes that
    # analyse recordings in each process that runs jobs (each loads the engine's model once).
    speech_engine: str = Field(default="pocketsphinx", min_length=1)
    speech_workers: int = Field(default=1, ge=1, le=32)
    # Recording files sealed at rest (AES-256-GCM under a key derived from GREENROOM_SECRETS).
    # Unset: on in production, off in development (docs/decisions.md, "Recordings at rest").
    encrypt_recordings: bool | None = None

    @field_validator("base_domain")
    @classmethod
    def _normalise_domain(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if not value or "/" in value or ":" in value:
            raise ValueError("base_domain must be a bare host name such as greenroom.localhost")
        return value

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        raw = self.secrets.get_secret_value() if self.secrets else ""
        if not raw.strip():
            raise ValueError(
                "GREENROOM_SECRETS is required in production: set it to 'v1:<at least 32 random "
                "characters>' (for example from `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        for version, value in _split_secrets(raw):
            lowered = value.decode().lower()
            if len(value) < 32 or any(word in lowered for word in _PLACEHOLDERS):
                raise ValueError(
                    f"GREENROOM_SECRETS entry {version!r} looks like a placeholder or is shorter "
                    "than 32 characters; refusing to start in production"
                )
        return self

    @model_validator(mode="after")
    def _refuse_what_is_not_installed(self) -> Settings:
        problem = None
        if self.resolved_database_url.startswith("postgresql"):
            problem = missing_extra(
                "asyncpg", extra="postgres", needed_for="GREENROOM_DATABASE_URL (PostgreSQL)"
            )
        if problem is None and self.redis_url:
            problem = missing_extra("redis", extra="redis", needed_for="GREENROOM_REDIS_URL")
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'greenroom.db').resolve()}"

    @property
    def recordings_encrypted(self) -> bool:
        """Whether new recording files are sealed: `encrypt_recordings`, or by environment."""
        if self.encrypt_recordings is None:
            return self.environment == "production"
        return self.encrypt_recordings

    @property
    def server_secrets(self) -> list[ServerSecret]:
        """The secrets, parsed (and their HMACs keyed) once per value of GREENROOM_SECRETS."""
        raw = self.secrets.get_secret_value() if self.secrets else DEV_SECRET
        return list(_server_secrets(raw))

    def org_origin(self, slug: str, environment: str = "production") -> str:
        host = (
            f"{slug}.sandbox.{self.base_domain}"
            if environment == "sandbox"
            else (f"{slug}.{self.base_domain}")
        )
        default_port = 443 if self.public_scheme == "https" else 80
        port = "" if self.public_port in (None, default_port) else f":{self.public_port}"
        return f"{self.public_scheme}://{host}{port}"


@lru_cache(maxsize=8)
def _server_secrets(raw: str) -> tuple[ServerSecret, ...]:
    return tuple(ServerSecret(version, value) for version, value in _split_secrets(raw))


def _split_secrets(raw: str) -> list[tuple[str, bytes]]:
    pairs: list[tuple[str, bytes]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        version, sep, value = item.partition(":")
        if not sep or not version or not value:
            raise ValueError("each GREENROOM_SECRETS entry must look like 'version:secret'")
        pairs.append((version, value.encode()))
    if not pairs:
        raise ValueError("GREENROOM_SECRETS holds no secret")
    if len({v for v, _ in pairs}) != len(pairs):
        raise ValueError("GREENROOM_SECRETS repeats a version id")
    return pairs


@lru_cache
def get_settings() -> Settings:
    return Settings()
