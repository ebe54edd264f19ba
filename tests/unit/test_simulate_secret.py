"""``queuepulse simulate`` without a configured client secret: a random one, kept in a 0600 file."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from queuepulse.cli import build_parser
from queuepulse.commands.simulate import build_config
from queuepulse.simulator.config import SimulatorConfig

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_configured_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.upper().startswith("QUEUEPULSE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .env, and the default secret file lands here


def _config(*options: str) -> SimulatorConfig:
    return build_config(build_parser().parse_args(["simulate", "--manual-clock", *options]))


def test_in_process_configs_get_distinct_random_secrets() -> None:
    first, second = SimulatorConfig(), SimulatorConfig()
    assert len(first.client_secret) >= 32
    assert first.client_secret != second.client_secret
    assert "queuepulse-demo-secret" not in (first.client_secret, second.client_secret)


def test_a_generated_secret_is_written_0600_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        first = _config()
    path = tmp_path / ".queuepulse" / "simulator-client-secret"
    assert path.read_text().strip() == first.client_secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.client_secret) >= 32
    assert [r.secret_file for r in caplog.records if hasattr(r, "secret_file")] == [str(path)]
    assert first.client_secret not in caplog.text
    assert _config().client_secret == first.client_secret  # a restart keeps it


def test_an_empty_existing_file_gets_a_secret_and_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("")
    path.chmod(0o644)
    cfg = _config("--client-secret-file", str(path))
    assert path.read_text().strip() == cfg.client_secret != ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "configured-secret")
    assert _config().client_secret == "configured-secret"
    monkeypatch.setenv("SIM_SECRET", "from-option-env")
    assert _config("--client-secret-env", "SIM_SECRET").client_secret == "from-option-env"
    assert not (tmp_path / ".queuepulse").exists()


def test_an_unwritable_secret_file_is_a_clean_error(tmp_path: Path) -> None:
    from queuepulse.errors import ConfigError

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="--client-secret-file"):
        _config("--client-secret-file", str(blocker / "secret"))


def test_an_empty_client_secret_env_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from queuepulse.errors import ConfigError

    monkeypatch.setenv("SIM_SECRET", "")
    with pytest.raises(ConfigError, match="SIM_SECRET"):
        _config("--client-secret-env", "SIM_SECRET")
