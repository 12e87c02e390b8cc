#!/usr/bin/env bash
# Project-local Python tools (git-ignored .venv): schemathesis for the API conformance run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/schemathesis ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "schemathesis>=4,<5"
fi
.venv/bin/schemathesis --version
