#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")"
python=python3.11
if ! command -v "$python" >/dev/null; then
  apt-get update && apt-get install -y python3.11 python3.11-venv
fi
"$python" -m venv .venv
.venv/bin/pip install --no-cache-dir -r requirements.txt
