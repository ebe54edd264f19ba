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
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


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
    assert "docker compose up" in result.stderr
