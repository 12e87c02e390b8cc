#!/usr/bin/env bash
# Project-local Python tools (git-ignored .venv): schemathesis for the API conformance run,
# snowballstemmer as the reference for the Swift stemmer, the openai SDK for the /v1 checks.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import schemathesis" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "schemathesis>=4,<5"
.venv/bin/python -c "import snowballstemmer" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "snowballstemmer==3.1.1"
# The official OpenAI SDK, run unchanged against Hyperion's /v1.
.venv/bin/python -c "import openai" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "openai>=1.50,<3"
# The official Sentry SDK: what Hyperion's error reports are held against.
.venv/bin/python -c "import sentry_sdk" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "sentry-sdk>=2,<3"
# pika, an AMQP client of its own: the LLM queue checks publish a poison message and read the dead-letter queue with it.
.venv/bin/python -c "import pika" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "pika>=1.3,<2"
# Selenium drives Debian's chromium for the web UI checks.
.venv/bin/python -c "import selenium" 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check "selenium>=4.20,<5"
.venv/bin/schemathesis --version
