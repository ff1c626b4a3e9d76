#!/usr/bin/env bash
# The one test command: installs what is missing, then runs the linters and the whole test suite.
#   scripts/test.sh [pytest arguments...]
# As root it installs Debian's mosquitto, mosquitto-clients, influxdb and chromium when they are missing;
# it creates .venv with ridebuy and its development dependencies. Tests start their own private servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_debian_packages mosquitto:mosquitto mosquitto_pub:mosquitto-clients influxd:influxdb \
  chromium:chromium chromedriver:chromium-driver wrk:wrk pdftoppm:poppler-utils
# The report's PDF (weasyprint) needs Pango (libpango-1.0-0, libpangoft2-1.0-0): chromium depends on it.
ensure_venv dev

echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; exec .venv/bin/pytest "$@"
