#!/usr/bin/env bash
# The one test command: installs what is missing, then runs the linters, the import contracts and the test suite.
#   scripts/test.sh [pytest arguments...]      e.g. scripts/test.sh -m "not integration"  (the fast loop)
# As root it installs Debian's mosquitto, mosquitto-clients, influxdb, chromium and caddy when they are missing;
# it creates .venv with ridebuy and its development dependencies. Tests start their own private servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_debian_packages mosquitto:mosquitto mosquitto_pub:mosquitto-clients influxd:influxdb \
  chromium:chromium chromedriver:chromium-driver wrk:wrk caddy:caddy
ensure_venv dev

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest"; exec .venv/bin/pytest "$@"
