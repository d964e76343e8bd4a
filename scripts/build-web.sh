#!/usr/bin/env bash
# Builds the browser half of the `web` crate (feature `hydrate`) into the site directory the
# server serves at /pkg:
#
#   <site>/pkg/switchboard.js        wasm-bindgen JS glue
#   <site>/pkg/switchboard_bg.wasm   the hydrate wasm (what the pages load)
#   <site>/pkg/switchboard.wasm      hard link to the same file (name used by a server
#                                    compiled with LEPTOS_OUTPUT_NAME set, e.g. by cargo-leptos)
#   <site>/pkg/switchboard.css       copy of web/style/main.css
#
# Usage: scripts/build-web.sh [--release] [--site-dir DIR]
#
#   --release        size-optimised build (opt-level z, fat LTO, 1 codegen unit, panic=abort,
#                    no wasm `name` section), in its own cargo profile `wasm-release` so it never
#                    invalidates the server's `release` artifacts. Without it: a debug build
#                    (fast to compile, large).
#   --site-dir DIR   the site directory (default: $SITE_ROOT, else <repo>/target/site). The
#                    server must get the same directory (env SITE_ROOT; its default is
#                    `target/site` relative to its working directory).
#
# Environment: CARGO_TARGET_DIR is honoured (cargo's own rules); WASM_BINDGEN overrides the
# wasm-bindgen binary. Idempotent and non-interactive: it adds the wasm32-unknown-unknown
# target and installs wasm-bindgen-cli 0.2.130 only when they are missing. wasm-opt is NOT
# used (Debian's binaryen 108 produces a wasm that fails to hydrate).
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130 # must equal the `wasm-bindgen = "=…"` pin in web/Cargo.toml
OUT_NAME=switchboard         # must equal web::OUTPUT_NAME
TARGET=wasm32-unknown-unknown

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release=0
site_dir="${SITE_ROOT:-$ROOT/target/site}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --release) release=1 ;;
        --site-dir) site_dir="${2:?--site-dir needs a directory}"; shift ;;
        --site-dir=*) site_dir="${1#*=}" ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-web.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
exec </dev/null
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
log() { printf 'build-web: %s\n' "$*" >&2; }

# 1. The wasm target.
if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx "$TARGET"; then
        log "adding rust target $TARGET"
        rustup target add "$TARGET"
    fi
else
    log "rustup not found; assuming the $TARGET standard library is installed"
fi

# 2. wasm-bindgen CLI, exactly the crate's version.
WASM_BINDGEN="${WASM_BINDGEN:-wasm-bindgen}"
bindgen_version() { "$WASM_BINDGEN" --version 2>/dev/null | awk '{print $2}' || true; }
if [[ "$(bindgen_version)" != "$WASM_BINDGEN_VERSION" ]]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (found: $(bindgen_version || true))"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --force \
        || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
    WASM_BINDGEN=wasm-bindgen
    hash -r
    if [[ "$(bindgen_version)" != "$WASM_BINDGEN_VERSION" ]]; then
        log "wasm-bindgen on PATH is still not $WASM_BINDGEN_VERSION: $(command -v wasm-bindgen || echo none)"
        exit 1
    fi
fi

# 3. The hydrate build.
cargo_args=(build --manifest-path "$ROOT/Cargo.toml" -p web --lib --target "$TARGET"
    --no-default-features --features hydrate)
if [[ $release == 1 ]]; then
    profile_dir=wasm-release
    # A custom profile defined on the command line, so the workspace Cargo.toml needs no
    # entry (if it gets one, these values still win).
    cargo_args+=(--profile wasm-release
        --config 'profile.wasm-release.inherits="release"'
        --config 'profile.wasm-release.opt-level="z"'
        --config 'profile.wasm-release.lto=true'
        --config 'profile.wasm-release.codegen-units=1'
        --config 'profile.wasm-release.panic="abort"'
        --config 'profile.wasm-release.debug=false'
        --config 'profile.wasm-release.strip=false')
else
    profile_dir=debug
fi
# Not `--cfg erase_components` (cargo-leptos' dev speed-up): it changes the rendered markup
# (hydration markers), so the server would have to be built with the same flag, or every page
# fails to hydrate.
target_dir="$(cargo metadata --manifest-path "$ROOT/Cargo.toml" --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[[ -n "$target_dir" ]] || { log "could not find cargo's target directory"; exit 1; }
wasm="$target_dir/$TARGET/$profile_dir/web.wasm"

log "cargo ${cargo_args[*]}"
started=$SECONDS
cargo "${cargo_args[@]}"
log "cargo build took $((SECONDS - started)) s"

# 4. wasm-bindgen into a scratch folder, then move the files into place one by one (each
#    rename is atomic, so a running server never serves a half-written file).
pkg="$site_dir/pkg"
mkdir -p "$pkg"
tmp="$(mktemp -d "$site_dir/.pkg.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
bindgen_args=(--target web --no-typescript --out-dir "$tmp" --out-name "$OUT_NAME")
# The release bundle drops the wasm `name` section: the function names of Leptos' deeply
# generic view types were 5.3 MB of its 8.3 MB (measured 2026-12-06). Panics still print their
# message (console_error_panic_hook); only the names in a wasm stack trace go.
if [[ $release == 1 ]]; then bindgen_args+=(--remove-name-section); fi
"$WASM_BINDGEN" "${bindgen_args[@]}" "$wasm"
cp "$ROOT/web/style/main.css" "$tmp/$OUT_NAME.css"
rm -rf "$pkg/snippets"
if [[ -d "$tmp/snippets" ]]; then mv "$tmp/snippets" "$pkg/snippets"; fi
for f in "$OUT_NAME.js" "$OUT_NAME.css" "${OUT_NAME}_bg.wasm"; do
    mv -f "$tmp/$f" "$pkg/$f"
done
ln -f "$pkg/${OUT_NAME}_bg.wasm" "$tmp/$OUT_NAME.wasm" 2>/dev/null \
    || cp "$pkg/${OUT_NAME}_bg.wasm" "$tmp/$OUT_NAME.wasm"
mv -f "$tmp/$OUT_NAME.wasm" "$pkg/$OUT_NAME.wasm"

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9c "$1" | wc -c | tr -d ' '; }
log "wrote $pkg ($([[ $release == 1 ]] && echo release || echo debug)):"
log "  ${OUT_NAME}_bg.wasm  $(size "$pkg/${OUT_NAME}_bg.wasm") bytes ($(gz "$pkg/${OUT_NAME}_bg.wasm") gzipped)"
log "  $OUT_NAME.js        $(size "$pkg/$OUT_NAME.js") bytes"
log "  $OUT_NAME.css       $(size "$pkg/$OUT_NAME.css") bytes"
log "serve it with SITE_ROOT=$site_dir"
