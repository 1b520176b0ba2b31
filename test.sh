#!/usr/bin/env bash
# Runs every test: unit and integration tests (Rust, against the real binary with aws-sdk-rust), then the
# Python compatibility suite (boto3 over both SQS protocols, and the AWS CLI) in a local virtualenv, then the
# JavaScript suite (AWS SDK for JavaScript v3 and sqs-consumer, pinned by tests/js/package-lock.json).
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

echo "== javascript compatibility suite"
(
  cd tests/js
  npm ci --no-audit --no-fund --loglevel=error
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --test
)
