#!/usr/bin/env bash
# The embedded default: set up what is missing, then run the simulator, a local TimescaleDB
# cluster (under .queuepulse/), the sync and live flows, with a per-queue summary in the terminal.
# Extra arguments go to `queuepulse demo` (see `queuepulse demo --help`), e.g. --minutes 5 --speed 10.
set -euo pipefail
cd "$(dirname "$0")/.."

QUEUEPULSE_SETUP_NEXT=0 scripts/setup.sh
exec .venv/bin/queuepulse demo "$@"
