"""One typed settings object for every command.

Values come, in order of precedence, from constructor arguments, environment variables with the
``QUEUEPULSE_`` prefix (nested sections joined with ``__``, e.g. ``QUEUEPULSE_PBX__URL``), a
``.env`` file in the working directory, and Docker secrets (files in ``/run/secrets`` named like
the variable, e.g. ``queuepulse_pbx__client_secret``). Secrets are :class:`SecretStr`, so they
never show up in reprs, logs or error messages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from queuepulse.errors import ConfigError

DEFAULT_SECRETS_DIR = "/run/secrets"


class PbxSettings(BaseModel):
    """How to reach one 3CX PBX's XAPI."""

    pbx_id: str = Field("default", description="Stable name of this PBX in every table (pbx_id).")
    url: str = Field("http://127.0.0.1:5080", description="PBX root URL (no /xapi/v1 suffix).")
    client_id: str = Field("queuepulse", description="XAPI client id (an API service account).")
    client_secret: SecretStr = Field(
        SecretStr(""),
        description="XAPI client secret; empty means not configured (no default is baked in).",
    )
    verify_tls: bool = Field(True, description="Verify the PBX's TLS certificate.")
    ca_bundle: Path | None = Field(None, description="A private CA bundle to verify TLS against.")
    timeout_s: float = Field(5.0, gt=0, description="Per-request timeout in seconds.")
    poll_interval_s: float = Field(1.0, gt=0, description="ActiveCalls poll interval in seconds.")
    sync_interval_s: float = Field(60.0, gt=0, description="Queues/Users sync interval.")
    retry_budget_s: float = Field(
        0.8, gt=0, description="Time one call may spend retrying (keep below the poll interval)."
    )
    breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures that open the breaker."
    )
    breaker_reset_s: float = Field(10.0, gt=0, description="Seconds before a half-open probe.")

    @property
    def has_client_secret(self) -> bool:
        """Whether a client secret is configured (an empty one means none)."""
        return bool(self.client_secret.get_secret_value())

    def require_client_secret(self) -> SecretStr:
        """The configured client secret; :class:`ConfigError` naming the PBX when there is none."""
        if not self.has_client_secret:
            raise ConfigError(
                f"no XAPI client secret configured for PBX {self.pbx_id!r} ({self.url}); "
                "set QUEUEPULSE_PBX__CLIENT_SECRET (environment or .env) or the Docker secret "
                "queuepulse_pbx__client_secret to the secret of the API client created in "
                "3CX Admin > Integrations > API (the simulator's own: "
                ".queuepulse/simulator-client-secret, see 'queuepulse simulate --help')"
            )
        return self.client_secret


class DatabaseSettings(BaseModel):
    """Where the TimescaleDB lives."""

    dsn: SecretStr = Field(
        SecretStr("postgresql://queuepulse@127.0.0.1:55432/queuepulse"),
        description="libpq connection string of the writer (it may carry a password).",
    )
    data_dir: Path = Field(
        Path(".queuepulse/pgdata"), description="Data directory of the local demo cluster."
    )
    port: int = Field(55432, description="Port of the local demo cluster.")
    batch_rows: int = Field(5000, ge=1, description="Rows per sink batch.")
    buffer_rows: int = Field(200_000, ge=1, description="Rows held while the database is away.")


class PrivacySettings(BaseModel):
    """What happens to caller numbers (personal data) at ingestion."""

    caller_mode: Literal["keep", "mask", "hash"] = "keep"
    hash_salt: SecretStr = Field(
        SecretStr(""), description="Secret salt of 'hash' mode (required there)."
    )
    mask_keep_digits: int = Field(3, ge=0)

    @model_validator(mode="after")
    def _hash_needs_a_salt(self) -> PrivacySettings:
        # Unsalted SHA-256 of a phone number is reversed by trying every number.
        if self.caller_mode == "hash" and not self.hash_salt.get_secret_value():
            raise ValueError(
                "caller_mode 'hash' needs a secret salt: set QUEUEPULSE_PRIVACY__HASH_SALT "
                "(or the Docker secret queuepulse_privacy__hash_salt) to a long random value, "
                "e.g. from 'openssl rand -hex 32', and keep it: changing it changes every hash"
            )
        return self


class RulesSettings(BaseModel):
    """Attribution rules for ActiveCalls (docs/lifecycle.md, "Attribution rules")."""

    waiting_statuses: tuple[str, ...] = ("Ringing", "Routing")
    talking_statuses: tuple[str, ...] = ("Talking",)
    moving_statuses: tuple[str, ...] = ("Transferring", "Rerouting")
    short_abandon_s: float = 5.0
    default_sla_s: int = 20
    available_profiles: tuple[str, ...] = Field(
        ("Available",), description="CurrentProfileName values under which an agent is free."
    )
    gap_after_s: float = Field(
        10.0, gt=0, description="A pause between successful polls longer than this is a gap."
    )
    tombstone_ttl_s: float = Field(
        600.0, ge=0, description="How long an ended call key is remembered (flags reappearance)."
    )
    reconcile_period_s: int = Field(
        900, ge=60, description="Reconciliation period length and cadence (aligned to the epoch)."
    )
    reconcile_settle_s: float = Field(
        900.0, ge=0, description="A period is reconciled only this long after it closed."
    )
    reconcile_match_tolerance_s: float = Field(
        120.0, gt=0, description="Largest entry-time difference between a live and a CDR visit."
    )
    reconcile_lookback_s: float = Field(
        1800.0, ge=0, description="CDR fetched before a period, for a call's earlier queues."
    )
    reconcile_lookahead_s: float = Field(
        3600.0, ge=0, description="CDR fetched after a period, for talks that end after it."
    )
    cdr_rules_file: Path | None = Field(
        None,
        description="YAML/JSON file overriding the CDR segment rules (docs/reconciliation.md).",
    )


class ObservabilitySettings(BaseModel):
    """The /healthz and /metrics endpoint of long-running commands."""

    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"


class ClusterSettings(BaseModel):
    """The live flow as one Bytewax cluster of several processes (``run live --addresses``)."""

    addresses: str = Field(
        "", description="host:port of every member, comma-separated, the same list on every "
                        "member (empty: not a cluster).")
    process_id: int | None = Field(
        None, ge=0, description="This member's index in the addresses (0 runs the start-up "
                                "checks and the retention).")
    join_timeout_s: float = Field(
        120.0, gt=0, description="Seconds a member waits for the others at start before it "
                                 "fails.")


class Settings(BaseSettings):
    """Every setting of queuepulse, in sections."""

    model_config = SettingsConfigDict(
        env_prefix="QUEUEPULSE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        secrets_dir=DEFAULT_SECRETS_DIR if os.path.isdir(DEFAULT_SECRETS_DIR) else None,
        secrets_nested_delimiter="__",
        extra="ignore",
    )

    pbx: PbxSettings = PbxSettings()
    db: DatabaseSettings = DatabaseSettings()
    privacy: PrivacySettings = PrivacySettings()
    rules: RulesSettings = RulesSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    cluster: ClusterSettings = ClusterSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read Docker secrets for nested fields too (``queuepulse_pbx__client_secret``)."""
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            NestedSecretsSettingsSource(file_secret_settings),
        )


def load_settings(**overrides: object) -> Settings:
    """Build the settings object; keyword arguments win over every other source.

    An invalid value is a :class:`ConfigError` naming each bad setting and its environment
    variable, without the offending value (it may be a secret).
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            path = [str(part) for part in error["loc"]]
            env = "QUEUEPULSE_" + "__".join(path).upper()
            problems.append(f"{'.'.join(path)} ({env}): {error['msg']}")
        raise ConfigError(
            "invalid setting(s): " + "; ".join(problems)
            + ". Fix the environment variable, .env or Docker secret of that name"
        ) from None
