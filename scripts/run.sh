#!/usr/bin/env bash
# Builds and runs the platform on the embedded SQLite default (data in ./data), with the
# web app. Any configuration variable from README.md can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}"
export SITE_ROOT="${SITE_ROOT:-$PWD/target/site}"
scripts/build-web.sh --release --site-dir "$SITE_ROOT"
exec cargo run --release -p server --bin switchboard
