#!/usr/bin/env bash
# The one test command: installs what is missing, then runs the linters, the import contracts and the test suite.
#   scripts/test.sh [pytest arguments...]      e.g. scripts/test.sh -m "not integration"  (the fast loop)
# As root it installs Debian's mosquitto, mosquitto-clients, influxdb, chromium and caddy when they are missing;
# it creates .venv with ridebuy and its development dependencies. Tests start their own private servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_debian_packages mosquitto:mosquitto mosquitto_pub:mosquitto-clients influxd:influxdb \
  chromium:chromium chromedriver:chromium-driver wrk:wrk caddy:caddy pdftoppm:poppler-utils
# The report's PDF (weasyprint) needs Pango (libpango-1.0-0, libpangoft2-1.0-0): chromium depends on it.
ensure_venv dev

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
if [ $# -gt 0 ]; then
  echo "== pytest"; exec .venv/bin/pytest "$@"
fi

# The whole suite. The panel soak test (tests/api/test_panel_soak.py, ten minutes, mostly waiting) runs beside the
# rest rather than after it; its output follows the suite's, and the suite's summary line comes last.
mkdir -p test-artifacts
echo "== pytest: the soak test in the background (test-artifacts/soak.log)"
.venv/bin/pytest -m soak -p no:cacheprovider >test-artifacts/soak.log 2>&1 &
soak=$!
echo "== pytest: everything else"
status=0
.venv/bin/pytest -m "not soak" | tee test-artifacts/suite.log || status=$?
soak_status=0
wait "$soak" || soak_status=$?
echo "== soak test (exit $soak_status)"; tail -n 25 test-artifacts/soak.log
[ "$status" -eq 0 ] && status=$soak_status
tail -n 1 test-artifacts/suite.log
exit "$status"
