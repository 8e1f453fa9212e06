#!/usr/bin/env bash
# The browser check (scripts/test.sh runs it last; README "GraphiQL"): starts `promptsales up`
# on free ports with a temporary data folder, gets a token, and lets headless Chromium open
# GraphiQL, set the Authorization header in the Headers tab, run the example query and find
# the demo organization in the result pane, with no request to any origin but the router.
#
# Installs what it needs when missing: Debian's chromium (apt-get) and playwright-core (npm,
# pinned by scripts/browser-check/package-lock.json). Uses target/debug/promptsales (built
# here when missing or stale; or $PROMPTSALES_BIN). Keeps a screenshot at target/browser-check/graphiql.png (or $SCREENSHOT).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

started=$(date +%s)
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium_bin" ]; then
  log "installing chromium (Debian's)"
  have apt-get || { echo "no chromium and no apt-get to install it" >&2; exit 1; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
"$chromium_bin" --version 2>/dev/null
have node && have npm || { echo "node and npm are needed (scripts/test.sh installs them)" >&2; exit 1; }
log "installing playwright-core (pinned by its lockfile)"
npm ci --prefix scripts/browser-check --no-audit --no-fund --loglevel=error

# Up to date after the test run (the same build: nothing to do then); built when missing.
# PROMPTSALES_BIN names another binary and skips the build.
bin=${PROMPTSALES_BIN:-}
if [ -z "$bin" ]; then
  log "building target/debug/promptsales"
  cargo build --workspace --all-features --bin promptsales
  bin=target/debug/promptsales
fi

# Free ports: a base chosen at random, moved on while any of its ports is taken.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=$((20000 + (RANDOM % 2000) * 20))
for _ in $(seq 1 50); do
  ok=1
  for offset in 0 1 2 3 4 10; do port_free $((base + offset)) || { ok=""; break; }; done
  [ -n "$ok" ] && break
  base=$((base + 20))
done
[ -n "$ok" ] || { echo "no free ports found" >&2; exit 1; }

data=$(mktemp -d /tmp/promptsales-browser-check.XXXXXX)
up_log="$data/up.log"
up_pid=""
cleanup() {
  if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$up_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

export PROMPTSALES_DATA_DIR="$data/data"
export PROMPTSALES_ROUTER_PORT=$base
export PROMPTSALES_SALES_PORT=$((base + 1)) PROMPTSALES_ADS_PORT=$((base + 2))
export PROMPTSALES_CRM_PORT=$((base + 3)) PROMPTSALES_CONTENT_PORT=$((base + 4))
export PROMPTSALES_MCP_PORT=$((base + 10))
export PROMPTSALES_SALES_BASE_URL="http://127.0.0.1:$((base + 1))"
# Its own Redis keys, should a Redis be running (the router works without one).
export PROMPTSALES_REDIS_KEY_PREFIX="browser-check-$$:"
unset PROMPTSALES_SALES_DATABASE_URL PROMPTSALES_ADS_DATABASE_URL PROMPTSALES_CRM_DATABASE_URL PROMPTSALES_CONTENT_DATABASE_URL

log "starting promptsales up (router on port $base, data in $data)"
"$bin" up >"$up_log" 2>&1 &
up_pid=$!
for _ in $(seq 1 600); do
  grep -q "PromptSales is up" "$up_log" && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$up_log" >&2; echo "promptsales up stopped" >&2; exit 1; }
  sleep 0.5
done
grep -q "PromptSales is up" "$up_log" || { tail -50 "$up_log" >&2; echo "promptsales up did not come up in 300 s" >&2; exit 1; }
ready=$(date +%s)

token=$("$bin" token)
router="http://127.0.0.1:$base"
# The organization the page must show: the first one the token reads, asked directly.
name=$(node -e '
  const [url, token] = process.argv.slice(1);
  fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ organizations(first: 1) { edges { node { name } } } }" }) })
    .then((r) => r.json())
    .then((b) => { const n = b?.data?.organizations?.edges?.[0]?.node?.name; if (!n) throw new Error(JSON.stringify(b)); console.log(n); })
    .catch((e) => { console.error(`cannot read an organization: ${e.message}`); process.exit(1); });
' "$router/graphql" "$token")

screenshot=${SCREENSHOT:-$PWD/target/browser-check/graphiql.png}
mkdir -p "$(dirname "$screenshot")"
log "opening GraphiQL in headless chromium (expecting \"$name\")"
ROUTER_URL="$router" TOKEN="$token" EXPECTED_NAME="$name" SCREENSHOT="$screenshot" CHROMIUM="$chromium_bin" \
  timeout 300 node scripts/browser-check/check.mjs
finished=$(date +%s)
echo "browser check: $((finished - started)) s in all ($((ready - started)) s to install and start, $((finished - ready)) s in the browser); screenshot at $screenshot"
