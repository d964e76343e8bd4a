#!/usr/bin/env bash
# Builds and runs the platform on the embedded SQLite default (data in ./data).
# Any configuration variable from README.md can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}"
exec cargo run --release -p server --bin switchboard
