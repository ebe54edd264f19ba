"""The one settings object: env prefix, nested env, .env, Docker secrets, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from queuepulse.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No QUEUEPULSE_* from the outer environment, and no .env from the working directory."""
    import os

    for key in list(os.environ):
        if key.upper().startswith("QUEUEPULSE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_without_any_source() -> None:
    settings = Settings(_secrets_dir=None)
    assert settings.pbx.pbx_id == "default"
    assert settings.db.port == 55432
    assert settings.rules.default_sla_s == 20


def test_env_prefix_and_nested_delimiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__URL", "https://pbx.example.test")
    monkeypatch.setenv("QUEUEPULSE_PBX__POLL_INTERVAL_S", "2.5")
    monkeypatch.setenv("QUEUEPULSE_DB__PORT", "6543")
    monkeypatch.setenv("PBX__URL", "https://unprefixed.example.test")  # ignored: no prefix
    settings = Settings(_secrets_dir=None)
    assert settings.pbx.url == "https://pbx.example.test"
    assert settings.pbx.poll_interval_s == 2.5
    assert settings.db.port == 6543


def test_constructor_wins_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__PBX_ID", "from-env")
    settings = Settings(pbx={"pbx_id": "from-code"}, _secrets_dir=None)
    assert settings.pbx.pbx_id == "from-code"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("QUEUEPULSE_PBX__CLIENT_ID=from-dotenv\n")
    settings = Settings(_secrets_dir=None)
    assert settings.pbx.client_id == "from-dotenv"


def test_invalid_env_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__POLL_INTERVAL_S", "-1")
    with pytest.raises(ValidationError, match="poll_interval_s"):
        Settings(_secrets_dir=None)


def test_docker_secrets_dir_fills_nested_secrets(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "queuepulse_pbx__client_secret").write_text("s3cret-from-file")
    (secrets / "queuepulse_db__dsn").write_text("postgresql://w:pw-from-file@db:5432/queuepulse")
    settings = Settings(_secrets_dir=secrets)
    assert settings.pbx.client_secret.get_secret_value() == "s3cret-from-file"
    assert settings.db.dsn.get_secret_value().endswith("@db:5432/queuepulse")


def test_env_wins_over_docker_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "queuepulse_pbx__client_secret").write_text("from-file")
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "from-env")
    settings = Settings(_secrets_dir=secrets)
    assert settings.pbx.client_secret.get_secret_value() == "from-env"


def test_secrets_never_show_in_repr_str_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "hunter2-very-secret")
    monkeypatch.setenv("QUEUEPULSE_DB__DSN", "postgresql://u:db-pass-123@h/d")
    monkeypatch.setenv("QUEUEPULSE_PRIVACY__HASH_SALT", "salty-salt")
    settings = Settings(_secrets_dir=None)
    assert isinstance(settings.pbx.client_secret, SecretStr)
    shown = " ".join(
        [repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())]
    )
    for secret in ("hunter2-very-secret", "db-pass-123", "salty-salt"):
        assert secret not in shown
    assert settings.pbx.client_secret.get_secret_value() == "hunter2-very-secret"


def test_no_client_secret_is_baked_in() -> None:
    settings = Settings(_secrets_dir=None)
    assert settings.pbx.client_secret.get_secret_value() == ""
    assert not settings.pbx.has_client_secret


def test_a_missing_client_secret_is_a_config_error_that_says_where_to_set_it() -> None:
    from queuepulse.errors import ConfigError
    from queuepulse.xapi.client import XapiClient

    pbx = Settings(pbx={"pbx_id": "hq", "url": "https://pbx.example.test"}, _secrets_dir=None).pbx
    with pytest.raises(ConfigError) as info:
        pbx.require_client_secret()
    message = str(info.value)
    for hint in ("'hq'", "https://pbx.example.test", "QUEUEPULSE_PBX__CLIENT_SECRET",
                 "queuepulse_pbx__client_secret"):
        assert hint in message
    with pytest.raises(ConfigError, match="no XAPI client secret configured"):
        XapiClient(pbx)
    configured = pbx.model_copy(update={"client_secret": SecretStr("s3cret")})
    assert configured.require_client_secret().get_secret_value() == "s3cret"


def test_hash_mode_without_a_salt_is_refused_with_the_variable_to_set() -> None:
    from queuepulse.errors import ConfigError
    from queuepulse.settings import PrivacySettings, load_settings

    with pytest.raises(ValidationError, match="QUEUEPULSE_PRIVACY__HASH_SALT"):
        PrivacySettings(caller_mode="hash")
    with pytest.raises(ConfigError, match="QUEUEPULSE_PRIVACY__HASH_SALT"):
        load_settings(privacy={"caller_mode": "hash"}, _secrets_dir=None)
    salted = PrivacySettings(caller_mode="hash", hash_salt=SecretStr("a-long-random-salt"))
    assert salted.caller_mode == "hash"
    assert PrivacySettings(caller_mode="mask").caller_mode == "mask"  # no salt needed there


def test_caller_name_mode_has_its_own_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from queuepulse.domain.privacy import CallerPolicy

    assert CallerPolicy.from_settings(Settings(_secrets_dir=None).privacy).name_mode is None
    monkeypatch.setenv("QUEUEPULSE_PRIVACY__CALLER_MODE", "mask")
    monkeypatch.setenv("QUEUEPULSE_PRIVACY__CALLER_NAME_MODE", "mask")
    policy = CallerPolicy.from_settings(Settings(_secrets_dir=None).privacy)
    assert (policy.mode, policy.effective_name_mode) == ("mask", "mask")
    monkeypatch.setenv("QUEUEPULSE_PRIVACY__CALLER_NAME_MODE", "")  # empty = unset: follows
    assert CallerPolicy.from_settings(
        Settings(_secrets_dir=None).privacy).effective_name_mode == "drop"
    monkeypatch.setenv("QUEUEPULSE_PRIVACY__CALLER_NAME_MODE", "hash")
    with pytest.raises(ValidationError, match="caller_name_mode"):
        Settings(_secrets_dir=None)
