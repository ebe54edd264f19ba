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

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
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

    pbx_id: str = Field("default", min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$",
                        description="Stable name of this PBX in every table (pbx_id): 1-64 "
                                    "printable characters.")
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
    presence_interval_s: float = Field(
        5.0, ge=0,
        description="Presence poll interval: GET /Users with $select of the presence fields only "
        "(queue status, profile, registration), between full syncs. 0 = off.",
    )
    retry_budget_s: float = Field(
        0.8, gt=0, description="Time one call may spend retrying (keep below the poll interval)."
    )
    breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures that open the breaker."
    )
    breaker_reset_s: float = Field(10.0, gt=0, description="Seconds before a half-open probe.")
    time_zone: str = Field(
        "UTC", description="IANA time zone of the site (e.g. Europe/Berlin), stored in "
        "pbx_sites when a flow starts: the report views' local days and intervals, the wall "
        "board's \"today\", forecast days and quarter-hours are this PBX's local ones. Unset: "
        "the PBX's own office-hours time zone where its XAPI gives one, else UTC.",
    )

    @property
    def site_time_zone(self) -> tuple[str, Literal["setting", "default"]]:
        """The site's time zone as far as the settings know it: ``setting`` when
        QUEUEPULSE_PBX__TIME_ZONE (or a PBX file's ``time_zone``) was given, else ``default``
        (UTC). The flows that ask the PBX put its own office-hours zone before the default
        (:func:`queuepulse.store.sites.resolve_site_zone`)."""
        return self.time_zone, "setting" if "time_zone" in self.model_fields_set else "default"

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin or UTC"
            ) from None
        return value

    @field_validator("url")
    @classmethod
    def _url_has_scheme_and_host(cls, value: str) -> str:
        # A URL without a scheme ("pbx.example.com") would only fail at the first request,
        # after the retries; say so now.
        return check_pbx_url(value)

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


def check_pbx_url(value: str) -> str:
    """``value`` if it is an ``http(s)://host[:port][/path]`` URL; ``ValueError`` saying what
    is wrong (no scheme, another scheme, no host) otherwise."""
    from urllib.parse import urlsplit

    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"PBX URL {text!r} needs a scheme and a host, e.g. https://pbx.example.com "
            "(the API is under /xapi/v1 of it)"
        )
    return text


class DatabaseSettings(BaseModel):
    """Where the TimescaleDB lives."""

    dsn: SecretStr = Field(
        SecretStr("postgresql://queuepulse@127.0.0.1:55432/queuepulse"),
        description="libpq connection string of the writer (it may carry a password).",
    )
    retention_dsn: SecretStr | None = Field(
        None,
        description="libpq connection string of a member of queuepulse_retention (or the "
        "owner): 'db retention' and 'run live' apply the retention with it; the writer may not.",
    )
    reader_dsn: SecretStr | None = Field(
        None,
        description="libpq connection string of a member of queuepulse_reader (SELECT only): "
        "'queuepulse report' reads with it; unset: the writer's dsn, in read-only sessions.",
    )
    data_dir: Path = Field(
        Path(".queuepulse/pgdata"), description="Data directory of the local demo cluster."
    )
    port: int = Field(55432, description="Port of the local demo cluster.")
    batch_rows: int = Field(5000, ge=1, description="Rows per sink batch.")
    buffer_rows: int = Field(
        200_000, ge=1, description="Rows held in memory while the database is away.")
    spool_dir: Path | None = Field(
        Path(".queuepulse/spool"),
        description="Local directory for rows beyond buffer_rows while the database is away "
                    "(the live flow keeps polling); empty = none (polling holds instead).")
    spool_max_bytes: int = Field(1 << 30, ge=1, description="Bound of the local spool, bytes.")

    @model_validator(mode="before")
    @classmethod
    def _empty_spool_dir_is_none(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("spool_dir") == "":
            return {**data, "spool_dir": None}
        return data


class PrivacySettings(BaseModel):
    """What happens to caller numbers and names (personal data) at ingestion."""

    caller_mode: Literal["keep", "mask", "hash"] = Field(
        "keep", description="Caller numbers (queue_calls.caller_number): keep, mask or hash.")
    caller_name_mode: Literal["keep", "mask", "drop"] | None = Field(
        None,
        description="Caller display names (queue_calls.caller_name): keep, mask (J*** D**) or "
                    "drop; unset = keep when caller_mode is keep, else drop.")
    hash_salt: SecretStr = Field(
        SecretStr(""), description="Secret salt of 'hash' mode (required there)."
    )
    mask_keep_digits: int = Field(3, ge=0)

    @field_validator("caller_name_mode", mode="before")
    @classmethod
    def _empty_name_mode_is_unset(cls, value: object) -> object:
        return None if value == "" else value

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


class StaffingSettings(BaseModel):
    """Targets of the staffing model (docs/staffing.md)."""

    target_pct: float = Field(
        80.0, gt=0, lt=100, description="Service-level target: per cent answered within the "
        "queue's SLA time.",
    )
    max_occupancy: float = Field(
        0.85, gt=0, le=1, description="Highest share of time agents may spend on calls.",
    )
    horizon_days: int = Field(7, ge=0, le=28, description="Days forecast after today.")


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
    staffing: StaffingSettings = StaffingSettings()
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
