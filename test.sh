#!/usr/bin/env bash
# Runs every test: unit and integration tests (Rust, against the real binary with aws-sdk-rust), then the
# Python compatibility suite (boto3 over both SQS protocols, and the AWS CLI) in a local virtualenv.
set -euo pipefail
cd "$(dirname "$0")"

echo "== building"
cargo build --workspace --all-targets

echo "== rust tests"
cargo test --workspace

echo "== python compatibility suite"
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
export WHARF_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/wharf"
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" -m pytest tests/compat -q -p no:cacheprovider
