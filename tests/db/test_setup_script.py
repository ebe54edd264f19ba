"""scripts/setup.sh: the parts that can be checked without root or network."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup.sh"


def _bash(snippet: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, "-c", f"source {SCRIPT}\n{snippet}"], capture_output=True, text=True, check=False
    )


def test_script_is_valid_bash_and_strict() -> None:
    text = SCRIPT.read_text()
    assert "set -Eeuo pipefail" in text
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


def test_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(
        [shellcheck, "-x", str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_a_failing_command_names_its_step_and_points_at_docker_compose() -> None:
    result = _bash('step "Building (make)"\nfalse\necho not-reached')
    assert result.returncode == 1
    assert "not-reached" not in result.stdout
    assert 'step "Building (make)" failed' in result.stderr
    assert "docker compose" in result.stderr


def test_a_failure_in_a_subshell_is_reported_once() -> None:
    result = _bash('step "Unpacking"\n(cd / && false)\necho not-reached')
    assert result.returncode == 1
    assert result.stderr.count("setup.sh: error:") == 1


def _fake_tool(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_missing_pg_config_is_explained(tmp_path: Path) -> None:
    result = _bash(f"PG_CONFIG={tmp_path}/no-pg_config; check_pg_config")
    assert result.returncode == 1
    assert "postgresql-client-15" in result.stderr
    assert "QUEUEPULSE_PG_CONFIG" in result.stderr


def test_missing_server_headers_are_explained(tmp_path: Path) -> None:
    includes = tmp_path / "include"
    includes.mkdir()
    fake = _fake_tool(
        tmp_path, "pg_config",
        f'case "$1" in --includedir-server) echo {includes};; --pkglibdir) echo {tmp_path};; '
        "esac",
    )
    result = _bash(f"PG_CONFIG={fake}; check_pg_config")
    assert result.returncode == 1
    assert "postgresql-server-dev-15" in result.stderr
    (includes / "postgres.h").write_text("/* a server header */\n")
    result = _bash(f'PG_CONFIG={fake}; check_pg_config; echo "lib=$PG_PKGLIBDIR"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lib={tmp_path}"


def test_timescaledb_step_is_skipped_when_installed(tmp_path: Path) -> None:
    includes = tmp_path / "include"
    includes.mkdir()
    (includes / "postgres.h").write_text("")
    (tmp_path / "timescaledb.so").write_text("")
    fake = _fake_tool(
        tmp_path, "pg_config",
        f'case "$1" in --includedir-server) echo {includes};; --pkglibdir) echo {tmp_path};; '
        "esac",
    )
    # Fetching would fail loudly: the skip must happen before it.
    result = _bash(
        f"PG_CONFIG={fake}; fetch_timescaledb_source() {{ echo FETCHED; }}; ensure_timescaledb"
    )
    assert result.returncode == 0, result.stderr
    assert "already installed" in result.stdout
    assert "FETCHED" not in result.stdout


def _debian12(tmp_path: Path) -> Path:
    release = tmp_path / "os-release"
    release.write_text('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n')
    return release


def test_not_root_without_sudo_points_at_docker_compose(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("apt-get", "dpkg-query", "uname"):
        _fake_tool(bin_dir, tool, "exit 0")
    _fake_tool(bin_dir, "id", 'case "$1" in -u) echo 1000;; *) echo someone;; esac')
    result = _bash(f"OS_RELEASE={_debian12(tmp_path)}; PATH={bin_dir}; check_platform")
    assert result.returncode == 1
    assert "sudo is not installed" in result.stderr
    assert "docker compose --profile demo up" in result.stderr


def test_a_python_older_than_3_11_is_refused(tmp_path: Path) -> None:
    old = _fake_tool(
        tmp_path, "python3.9",
        'case "$1" in -c) exit 1;; -V) echo "Python 3.9.2";; esac',
    )
    result = _bash(f"PYTHON={old}; PROJECT_DIR={tmp_path}; ensure_venv")
    assert result.returncode == 1
    assert "Python 3.9.2" in result.stderr
    assert "needs Python 3.11" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_a_missing_python_names_the_apt_packages(tmp_path: Path) -> None:
    result = _bash(f"PYTHON={tmp_path}/python3.11; PROJECT_DIR={tmp_path}; ensure_venv")
    assert result.returncode == 1
    assert "apt-get install python3.11 python3.11-venv" in result.stderr


def test_mirror_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n"
        "URIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
        "\n"
        "Types: deb\n"
        "# a comment line\n"
        "URIs: http://mirror.example/debian/\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
    )
    result = _bash(f"APT_ETC={tmp_path}; debian_mirror")
    assert result.stdout.strip() == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian bookworm main contrib\n"
    )
    result = _bash(f"APT_ETC={tmp_path}; debian_mirror")
    assert result.stdout.strip() == "http://ftp.example/debian"


def test_mirror_falls_back_to_deb_debian_org(tmp_path: Path) -> None:
    result = _bash(f"APT_ETC={tmp_path}; debian_mirror")
    assert result.stdout.strip() == "http://deb.debian.org/debian"


def test_other_systems_are_pointed_at_docker_compose(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n')
    result = _bash(f"OS_RELEASE={release}; check_platform")
    assert result.returncode == 1
    assert "Ubuntu 24.04 LTS" in result.stderr
    assert "docker compose --profile demo up" in result.stderr


def _apt_world(tmp_path: Path, keyring_version: str) -> tuple[Path, Path]:
    """A PATH where every apt package is installed, the keyring at ``keyring_version``, and
    apt-get only records its arguments."""
    dpkg = shutil.which("dpkg")
    if dpkg is None:
        pytest.skip("dpkg is not installed (this script targets Debian)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dpkg").symlink_to(dpkg)
    log = tmp_path / "apt-get.log"
    _fake_tool(
        bin_dir, "dpkg-query",
        f'case "$2" in *Version*) echo {keyring_version};; *) printf "install ok installed";; '
        "esac",
    )
    _fake_tool(bin_dir, "apt-get", f'echo "$*" >> {log}')
    _fake_tool(bin_dir, "env", 'shift; "$@"')  # as_root runs `env DEBIAN_FRONTEND=... apt-get`
    return bin_dir, log


def test_an_old_keyring_without_the_trixie_keys_is_upgraded(tmp_path: Path) -> None:
    bin_dir, log = _apt_world(tmp_path, "2023.3+deb12u1")
    result = _bash(f"PATH={bin_dir}; ensure_apt_packages")
    assert result.returncode == 0, result.stderr
    assert "lacks the trixie keys" in result.stdout
    calls = log.read_text().splitlines()
    assert calls[0] == "update"
    assert calls[1].endswith("install -y --no-install-recommends debian-archive-keyring")


def test_nothing_is_installed_when_everything_is_current(tmp_path: Path) -> None:
    bin_dir, log = _apt_world(tmp_path, "2023.3+deb12u2")
    result = _bash(f"PATH={bin_dir}; ensure_apt_packages")
    assert result.returncode == 0, result.stderr
    assert "all present" in result.stdout
    assert not log.exists()
