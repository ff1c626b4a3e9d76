#!/usr/bin/env bash
# The first command to run: the whole of ridebuy on this machine, nothing else to install.
#   scripts/demo.sh [ridebuy demo options...]      (scripts/demo.sh --help lists them)
# Creates .venv with ridebuy when needed (Python >= 3.11 and its venv module are the only requirements), then runs
# `ridebuy demo`: embedded MQTT broker, SQLite store, ingest, API + web page on http://127.0.0.1:8000/ and the
# simulated devices of the Hannut sample. Ctrl-C stops it. See docs/demo.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "ridebuy needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1 || echo none))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "Python's venv module is missing: install it (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2
  exit 1
fi
ensure_venv
exec .venv/bin/ridebuy demo "$@"
