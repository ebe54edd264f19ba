#!/usr/bin/env bash
# Set up a Debian 12 machine for queuepulse: PostgreSQL 15, TimescaleDB (built from Debian's
# source package), and the project's virtualenv. Idempotent: every step checks first and is
# skipped when already done. Prints each step.
#
# Usage: scripts/setup.sh            (as root, or as a user with sudo)
# Environment:
#   QUEUEPULSE_CACHE_DIR   build cache (default: ~/.cache/queuepulse)
#   QUEUEPULSE_PYTHON      interpreter for the virtualenv (default: python3.11, Debian's own)
#   QUEUEPULSE_PG_CONFIG   pg_config of the target server (default: PostgreSQL 15's)
#   QUEUEPULSE_SKIP_VENV=1 skip the virtualenv step
#
# On a machine this script cannot set up (not Debian 12, no apt, neither root nor sudo), use
# the containers instead:  docker compose --profile demo up   (see README: Containers)
set -Eeuo pipefail

PG_MAJOR=15
TSDB_VERSION=2.19.3
TSDB_SOURCE_SUITE=trixie
PG_CONFIG="${QUEUEPULSE_PG_CONFIG:-/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config}"
OS_RELEASE=/etc/os-release
APT_ETC=/etc/apt
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${QUEUEPULSE_CACHE_DIR:-${HOME:-/root}/.cache/queuepulse}"
TSDB_DIR="${CACHE_DIR}/timescaledb"
PYTHON="${QUEUEPULSE_PYTHON:-python3.11}"
# python3.11-venv brings ensurepip (without it `python3.11 -m venv` makes a venv without pip).
APT_PACKAGES=(
  "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" postgresql-contrib
  cmake build-essential libssl-dev libkrb5-dev dpkg-dev debian-archive-keyring
  ca-certificates python3.11 python3.11-venv
  shellcheck  # the test suite lints this script with it
)
# The first bookworm keyring that carries the trixie signing keys (for the source fetch).
KEYRING_MIN_VERSION=2023.3+deb12u2
CURRENT_STEP="starting"
DOCKER_HINT="or run the containers instead: docker compose --profile demo up"

step() {
  CURRENT_STEP="$*"
  printf '\n==> %s\n' "$*"
}
info() { printf '    %s\n' "$*"; }
die() {
  printf '\nsetup.sh: error: %s\n' "$*" >&2
  printf 'setup.sh: fix that and rerun (finished steps are skipped), %s\n' "$DOCKER_HINT" >&2
  exit 1
}
die_platform() {
  printf '\nsetup.sh: error: %s\n' "$*" >&2
  printf 'setup.sh: this script sets up Debian 12 only. Elsewhere run the containers: docker compose --profile demo up (README: Containers)\n' >&2
  exit 1
}
# Any other failing command (apt, the build, pip): say which step failed and what to do. In a
# subshell stay quiet: the parent reports the same failure once.
on_error() {
  local rc=$1 line=$2 command=$3
  [[ "$BASH_SUBSHELL" -eq 0 ]] || exit "$rc"
  printf '\nsetup.sh: error: step "%s" failed (exit %s, line %s: %s).\n' \
    "$CURRENT_STEP" "$rc" "$line" "$command" >&2
  printf 'setup.sh: fix the cause shown above and rerun (finished steps are skipped), %s\n' \
    "$DOCKER_HINT" >&2
  exit "$rc"
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

# --- privileges -----------------------------------------------------------------------------
SUDO=()
check_platform() {
  step "Checking the platform"
  [[ -r "$OS_RELEASE" ]] || die_platform "cannot read $OS_RELEASE to identify the system"
  # shellcheck disable=SC1090
  . "$OS_RELEASE"
  [[ "${ID:-}" == "debian" && "${VERSION_ID:-}" == "12" ]] \
    || die_platform "this is '${PRETTY_NAME:-unknown}', not Debian 12 (bookworm)"
  command -v apt-get >/dev/null || die_platform "apt-get not found"
  command -v dpkg-query >/dev/null || die_platform "dpkg-query not found"
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || die_platform "not root and sudo is not installed"
    SUDO=(sudo)
    info "not root: privileged steps run through sudo"
  fi
  info "Debian ${VERSION_ID} ($(uname -m)), user $(id -un)"
}

as_root() { "${SUDO[@]}" "$@"; }

# --- apt packages ---------------------------------------------------------------------------
ensure_apt_packages() {
  step "Checking apt packages"
  local missing=() pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  local keyring_version
  keyring_version="$(dpkg-query -W -f='${Version}' debian-archive-keyring 2>/dev/null || true)"
  if [[ -n "$keyring_version" ]] \
    && dpkg --compare-versions "$keyring_version" lt "$KEYRING_MIN_VERSION"; then
    info "debian-archive-keyring ${keyring_version} lacks the trixie keys: upgrading it"
    missing+=(debian-archive-keyring)
  fi
  if [[ ${#missing[@]} -eq 0 ]]; then
    info "all present: ${APT_PACKAGES[*]}"
    return
  fi
  info "missing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# --- TimescaleDB ----------------------------------------------------------------------------
# The Debian mirror the machine's own apt sources name (deb822 *.sources first, then the
# one-line format); falls back to deb.debian.org.
debian_mirror() {
  local f uri
  for f in "$APT_ETC"/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    uri="$(awk '
      /^[[:space:]]*$/ { if (u != "" && s ~ /bookworm/ && s !~ /security/) { print u; exit } u=""; s=""; next }
      tolower($1) == "uris:" { u=$2 }
      tolower($1) == "suites:" { s=$0 }
      END { if (u != "" && s ~ /bookworm/ && s !~ /security/) print u }' "$f" | head -n1)"
    if [[ -n "$uri" ]]; then echo "${uri%/}"; return; fi
  done
  for f in "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    uri="$(awk '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i+1) ~ /^bookworm/ && $(i+1) !~ /security/) { print $i; exit } }' "$f")"
    if [[ -n "$uri" ]]; then echo "${uri%/}"; return; fi
  done
  echo "http://deb.debian.org/debian"
}

# Check PG_CONFIG and the server headers; set PG_PKGLIBDIR to the server's library directory.
PG_PKGLIBDIR=""
check_pg_config() {
  [[ -x "$PG_CONFIG" ]] \
    || die "$PG_CONFIG not found (it comes with postgresql-client-${PG_MAJOR}: apt-get install postgresql-${PG_MAJOR}; or set QUEUEPULSE_PG_CONFIG)"
  local includes
  includes="$("$PG_CONFIG" --includedir-server)"
  [[ -r "${includes}/postgres.h" ]] \
    || die "PostgreSQL ${PG_MAJOR} server headers missing in ${includes} (apt-get install postgresql-server-dev-${PG_MAJOR})"
  PG_PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"
}

ensure_timescaledb() {
  step "Checking TimescaleDB for PostgreSQL ${PG_MAJOR}"
  check_pg_config
  local pkglibdir=$PG_PKGLIBDIR
  if [[ -e "${pkglibdir}/timescaledb.so" ]]; then
    info "already installed: ${pkglibdir}/timescaledb.so"
    return
  fi
  fetch_timescaledb_source
  build_timescaledb "$TSDB_TREE"
  step "Installing (make install)"
  as_root make -C "${TSDB_TREE}/build" install
  [[ -e "${pkglibdir}/timescaledb.so" ]] || die "make install did not produce ${pkglibdir}/timescaledb.so"
  info "installed ${pkglibdir}/timescaledb.so"
}

# Download and unpack Debian's timescaledb source package into the build cache through a private
# apt configuration; sets TSDB_TREE to the unpacked tree.
TSDB_TREE=""
fetch_timescaledb_source() {
  local mirror apt_dir src_dir keyring
  mirror="$(debian_mirror)"
  apt_dir="${TSDB_DIR}/apt"
  src_dir="${TSDB_DIR}/src"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r "$keyring" ]] || die "$keyring not found (apt-get install debian-archive-keyring)"
  info "source package: timescaledb ${TSDB_VERSION} from ${mirror} (${TSDB_SOURCE_SUITE} main)"
  info "build cache: ${TSDB_DIR}"
  mkdir -p "${apt_dir}/lists/partial" "${apt_dir}/sourceparts" "${apt_dir}/cache/archives/partial" \
    "$src_dir"

  # A private deb-src list: the system's own sources are never read or touched. Bookworm's
  # debian-archive-keyring (2023.3+deb12u2 and later: its changelog adds them) carries the trixie signing keys.
  echo "deb-src [signed-by=${keyring}] ${mirror} ${TSDB_SOURCE_SUITE} main" >"${apt_dir}/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=${apt_dir}/sources.list"
    -o "Dir::Etc::SourceParts=${apt_dir}/sourceparts"
    -o "Dir::State::Lists=${apt_dir}/lists"
    -o "Dir::Cache=${apt_dir}/cache"
    -o "APT::Sandbox::User=$(id -un)"
  )

  step "Fetching the timescaledb source package (apt-get source --download-only)"
  apt-get "${apt_opts[@]}" update \
    || die "apt-get update of the private deb-src list failed (mirror ${mirror}; is debian-archive-keyring current? try: apt-get install debian-archive-keyring)"
  local version
  version="$(apt-cache "${apt_opts[@]}" showsrc timescaledb \
    | awk -v want="${TSDB_VERSION}+dfsg" '$1 == "Version:" && index($2, want) == 1 { print $2; exit }')"
  [[ -n "$version" ]] || die "timescaledb ${TSDB_VERSION}+dfsg not found in ${TSDB_SOURCE_SUITE} on ${mirror}"
  info "version ${version}"
  (cd "$src_dir" && apt-get "${apt_opts[@]}" source --download-only "timescaledb=${version}")

  step "Unpacking with dpkg-source"
  # dpkg-source may warn that it cannot verify the .dsc's signature (no uploader keyring here):
  # apt has already checked every file against the Sources index of the signed Release file.
  info "files verified by apt against the signed ${TSDB_SOURCE_SUITE} Release (a dpkg-source signature warning is expected)"
  local tree="${src_dir}/timescaledb-${TSDB_VERSION}"
  rm -rf "$tree"
  (cd "$src_dir" && dpkg-source -x "timescaledb_${version}.dsc" "$tree")
  TSDB_TREE="$tree"
}

# Configure and compile the unpacked tree against PG_CONFIG (Apache-licensed part only).
build_timescaledb() {
  local tree=$1
  step "Configuring (./bootstrap -DAPACHE_ONLY=1, regression and TAP checks off)"
  (cd "$tree" && BUILD_FORCE_REMOVE=true ./bootstrap \
    -DPG_CONFIG="$PG_CONFIG" \
    -DAPACHE_ONLY=1 \
    -DREGRESS_CHECKS=OFF \
    -DTAP_CHECKS=OFF \
    -DWARNINGS_AS_ERRORS=OFF \
    -DSEND_TELEMETRY_DEFAULT=OFF \
    -DUSE_TELEMETRY=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo)

  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  step "Building (make -j${jobs})"
  make -C "${tree}/build" -j"${jobs}" --no-print-directory
}

# --- virtualenv -----------------------------------------------------------------------------
ensure_venv() {
  step "Checking the virtualenv (${PROJECT_DIR}/.venv)"
  if [[ "${QUEUEPULSE_SKIP_VENV:-0}" == "1" ]]; then
    info "skipped (QUEUEPULSE_SKIP_VENV=1)"
    return
  fi
  command -v "$PYTHON" >/dev/null \
    || die "$PYTHON not found (apt-get install python3.11 python3.11-venv, or set QUEUEPULSE_PYTHON)"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); queuepulse needs Python 3.11 or newer (set QUEUEPULSE_PYTHON)"
  local venv="${PROJECT_DIR}/.venv" stamp want
  stamp="${venv}/.queuepulse-setup-stamp"
  want="$(cat "${PROJECT_DIR}/pyproject.toml" "${PROJECT_DIR}/constraints.txt" | sha256sum | cut -d' ' -f1)"
  # A venv made before python3.11-venv was installed has no pip: make it again.
  if [[ -x "${venv}/bin/python" ]] && ! "${venv}/bin/python" -m pip --version >/dev/null 2>&1; then
    info "${venv} has no working pip: recreating it"
    "$PYTHON" -m venv --clear "$venv" \
      || die "$PYTHON -m venv failed (is python3.11-venv installed? apt-get install python3.11-venv)"
    rm -f "$stamp"
  fi
  if [[ ! -x "${venv}/bin/python" ]]; then
    info "creating it with $PYTHON ($("$PYTHON" -V 2>&1))"
    "$PYTHON" -m venv "$venv" \
      || die "$PYTHON -m venv failed (is python3.11-venv installed? apt-get install python3.11-venv)"
  fi
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    info "up to date with pyproject.toml and constraints.txt"
    return
  fi
  step "Installing the project (pip install -e '.[dev]', versions pinned by constraints.txt)"
  "${venv}/bin/python" -m pip install -c "${PROJECT_DIR}/constraints.txt" -e "${PROJECT_DIR}[dev]"
  echo "$want" >"$stamp"
}

main() {
  check_platform
  ensure_apt_packages
  ensure_timescaledb
  ensure_venv
  step "Done"
  # scripts/demo.sh and scripts/test.sh go on by themselves (QUEUEPULSE_SETUP_NEXT=0): a hint
  # of what to run next would only be misleading there.
  if [[ "${QUEUEPULSE_SETUP_NEXT:-1}" != "0" ]]; then
    info "next: .venv/bin/queuepulse demo        (simulated PBX + local TimescaleDB, no set-up)"
    info "      .venv/bin/queuepulse db upgrade  (against a running TimescaleDB)"
    info "      .venv/bin/pytest                 (starts its own throwaway PostgreSQL)"
  fi
}

# Sourcing the file (for tests) defines the functions without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
