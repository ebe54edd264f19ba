#!/usr/bin/env bash
# Run queuepulse's whole test suite on this machine: set up what is missing (apt packages,
# TimescaleDB built from Debian's source package, the virtualenv), then lint, type-check and test.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m unit` or `scripts/test.sh -k lifecycle`.
set -euo pipefail
cd "$(dirname "$0")/.."

QUEUEPULSE_SETUP_NEXT=0 scripts/setup.sh

echo "==> ruff check"
.venv/bin/ruff check .
echo "==> mypy (strict) on queuepulse and flows"
.venv/bin/mypy
echo "==> pytest"
exec .venv/bin/pytest "$@"
