#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")"
python=python3.11
if ! command -v "$python" >/dev/null; then
  apt-get update && apt-get install -y python3.11 python3.11-venv
fi
# The sandbox for students' code. Where the container forbids namespaces, the grader falls back
# to running it as the unprivileged user below (results.json records which).
apt-get install -y bubblewrap || { apt-get update && apt-get install -y bubblewrap; } \
  || echo "setup.sh: bubblewrap is unavailable; students' code will run as an unprivileged user only" >&2
"$python" -m venv .venv
# uv installs the same pinned wheels as pip in a fraction of the time, from its own cache when it
# has one; compiled, as pip does: students' processes see the venv read-only.
.venv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==@UV_VERSION@"
.venv/bin/python -m uv pip install --python .venv/bin/python --compile-bytecode -r requirements.txt
# The user students' code runs as: no home, no login, owns nothing here.
id -u @STUDENT_ACCOUNT@ >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin @STUDENT_ACCOUNT@
# That user may run the interpreter in .venv, never read the checker, the tests or the reference.
chmod 0711 .
find . -mindepth 1 -maxdepth 1 ! -name .venv -exec chmod -R go-rwx {} +
# What this image can enforce, into the build log: namespaces or the confined fallback, budgets, pins, data.
.venv/bin/python -m mnist_kit.cli doctor \
  || echo "setup.sh: grading uses what the lines above say this image allows; every results.json says which sandbox graded" >&2
