#!/usr/bin/env bash
# Fuzzes the request decoding paths for a bounded time (issue 12), called by scripts/test.sh:
# the router's (fuzz/fuzz_targets/router_request.rs: the request limits, then sonic-rs and
# graphql-tools as Hive Router runs them) and the MCP adapter's (fuzz/fuzz_targets/mcp_jsonrpc.rs:
# rmcp's JSON-RPC messages, the document limits, the parser), with libFuzzer (libfuzzer-sys).
#
# On the stable toolchain: the coverage instrumentation cargo-fuzz adds is made of stable rustc
# flags and no sanitizer is used (cargo-fuzz's `--sanitizer none`), so neither nightly nor
# cargo-fuzz is needed; libFuzzer itself is compiled from the crate with the system's C++ compiler.
#
# PROMPTSALES_FUZZ_SECONDS: time per target (default 60; 0 skips fuzzing). The build goes to
# target/fuzz (its own: instrumented artifacts must not mix with the workspace's), the corpus
# to target/fuzz/corpus/<target>, seeded from fuzz/seeds/<target> (the hostile suite's documents).
# A crash, a timeout (-timeout per input) or an input over the memory limit fails the script;
# the input is kept in target/fuzz/artifacts/<target>/. Prints the build time, runs and runs/s.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

seconds="${PROMPTSALES_FUZZ_SECONDS:-60}"
if [ "$seconds" = 0 ]; then
  echo "fuzzing skipped (PROMPTSALES_FUZZ_SECONDS=0)"
  exit 0
fi
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! have c++; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi

# The versions the services run: the fuzz workspace starts from the main lockfile (cargo drops
# what it does not use and adds libFuzzer), so a fuzzed decoder is the deployed one.
cp Cargo.lock fuzz/Cargo.lock

# The flags cargo-fuzz passes (sancov coverage, `cfg(fuzzing)`), applied to the target only: with
# an explicit --target, build scripts and proc macros stay uninstrumented (they run in rustc).
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
export CARGO_TARGET_DIR="${PROMPTSALES_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
export CARGO_INCREMENTAL=0

started=$(date +%s)
cargo build --manifest-path fuzz/Cargo.toml --release --target "$host" --bins
echo "fuzz targets built in $(( $(date +%s) - started )) s"

status=0
for target in router_request mcp_jsonrpc; do
  corpus="$CARGO_TARGET_DIR/corpus/$target"
  artifacts="$CARGO_TARGET_DIR/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  log="$artifacts/last-run.log"
  echo "==> fuzzing $target for ${seconds} s"
  set +e
  "$CARGO_TARGET_DIR/$host/release/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "fuzz/seeds/$target" >"$log" 2>&1
  code=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  inputs=$(find "$corpus" -type f | wc -l)
  if [ "$code" -ne 0 ]; then
    echo "$target: FAILED (libFuzzer exit $code) after ${runs:-?} runs; the input is in $artifacts/:"
    grep -E "ERROR|panicked|SUMMARY|Test unit written|Slowest unit" "$log" | head -n 20 || tail -n 30 "$log"
    status=1
  else
    echo "$target: ${runs:-?} runs, ${rate:-?} runs/s, corpus $inputs inputs, no crash"
  fi
done
exit "$status"
