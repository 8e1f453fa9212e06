#!/usr/bin/env bash
# The image test (scripts/deploy-check.sh runs it; runnable alone). No registry is reachable
# here, so it builds the Dockerfile's runtime stage on a base image it makes itself:
#   1. installs docker.io and debootstrap with apt-get when missing;
#   2. starts its own dockerd (own data root, --bridge=none --iptables=false);
#   3. debootstrap --variant=minbase bookworm, `docker import`ed as the name:tag the Dockerfile's
#      runtime stage starts from (RUNTIME_BASE);
#   4. builds the runtime-only target with the host-built binary (target/debug/promptsales, which
#      the test run has built; PROMPTSALES_IMAGE_BINARY for another);
#   5. runs it with --network host, `promptsales up` inside on non-default ports, and answers a
#      query through the router from outside the container, with a token of the demo client;
#   6. stops and removes everything it made: the container, the images, dockerd, its data root.
# Every step is bounded in time, and prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

BINARY="${PROMPTSALES_IMAGE_BINARY:-target/debug/promptsales}"
BASE_IMAGE=$(sed -n 's/^ARG RUNTIME_BASE=//p' Dockerfile)
IMAGE="promptsales:image-check-$$"
CONTAINER="promptsales-image-check-$$"
# Ports no other service of this machine uses by default (the README's defaults are 4000-4010).
PORT_BASE="${PROMPTSALES_IMAGE_CHECK_PORT_BASE:-24300}"
ROUTER_PORT=$PORT_BASE
MCP_PORT=$((PORT_BASE + 10))

log() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
started=$(date +%s)
step_started=""
step() { # prints how long the previous step took, then starts the next
  local now; now=$(date +%s)
  [ -z "$step_started" ] || echo "    ($((now - step_started)) s)"
  step_started=$now
  log "$*"
}

[ -x "$BINARY" ] || { echo "no $BINARY: build it first (cargo build, or the test run)" >&2; exit 1; }
[ -n "$BASE_IMAGE" ] || { echo "the Dockerfile names no RUNTIME_BASE" >&2; exit 1; }

step "tools: docker.io and debootstrap (apt-get when missing)"
missing=()
have dockerd || missing+=(docker.io)
have debootstrap || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  # policy-rc.d: the package must not start the machine's own docker service; this script runs its own.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The engine's own client (the API version it speaks), not another one earlier in PATH.
if [ -x /usr/bin/docker ]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI=$(command -v docker); fi
dockerd --version

work=$(mktemp -d /tmp/promptsales-image-check.XXXXXX)
sock="$work/docker.sock"
dockerd_pid=""
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    docker rm -f "$CONTAINER" >/dev/null 2>&1
    docker rmi -f "$IMAGE" "$BASE_IMAGE" >/dev/null 2>&1
    as_root kill -TERM "$dockerd_pid"
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    as_root kill -KILL "$dockerd_pid" 2>/dev/null
  fi
  # The daemon itself, by the pid it wrote (under sudo, $! is sudo's), and its containerd.
  if [ -s "$work/dockerd.pid" ]; then
    pid=$(cat "$work/dockerd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      as_root kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      as_root kill -KILL "$pid" 2>/dev/null
    fi
  fi
  if pgrep -f "containerd --config $work/" >/dev/null 2>&1; then
    for pid in $(pgrep -f "containerd --config $work/"); do as_root kill -TERM "$pid"; done
  fi
  # Whatever dockerd left mounted under its data root goes before the folder does.
  grep -o " $work/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do as_root umount -l "$m"; done
  as_root rm -rf "$work"
}
trap cleanup EXIT
docker() { DOCKER_BUILDKIT=0 "$DOCKER_CLI" --host "unix://$sock" "$@"; }
# `timed SECONDS docker ...`: the same, bounded in time.
timed() { local seconds=$1; shift; [ "$1" = docker ] && shift; DOCKER_BUILDKIT=0 timeout "$seconds" "$DOCKER_CLI" --host "unix://$sock" "$@"; }

start_dockerd() { # start_dockerd <storage driver>
  local args=(--data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid"
    --host "unix://$sock" --bridge=none --iptables=false --ip-masq=false --storage-driver="$1")
  # Started directly (not through a shell function), so that $! is dockerd itself.
  if [ "$(id -u)" = 0 ]; then
    dockerd "${args[@]}" >"$work/dockerd.log" 2>&1 &
  else
    sudo dockerd "${args[@]}" >"$work/dockerd.log" 2>&1 &
  fi
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    docker version >/dev/null 2>&1 && docker info >/dev/null 2>&1 && return 0
    kill -0 "$dockerd_pid" 2>/dev/null || { dockerd_pid=""; return 1; }
    sleep 1
  done
  return 1
}
step "dockerd (data root $work/data, --bridge=none --iptables=false)"
# overlay2 when this machine's kernel lets dockerd mount it here, else vfs (slower: whole copies).
storage="${PROMPTSALES_IMAGE_CHECK_STORAGE:-overlay2}"
if ! start_dockerd "$storage"; then
  echo "dockerd would not start with $storage:" && tail -5 "$work/dockerd.log"
  [ -z "$dockerd_pid" ] || { kill -TERM "$dockerd_pid"; wait "$dockerd_pid" 2>/dev/null || true; dockerd_pid=""; }
  as_root rm -rf "$work/data" "$work/exec"
  storage=vfs
  start_dockerd vfs || { cat "$work/dockerd.log" >&2; exit 1; }
fi
echo "storage driver: $storage"
docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'

step "base image $BASE_IMAGE: debootstrap --variant=minbase bookworm, docker import"
# The debootstrapped tree is kept (as a tarball, a week) so that a second run only imports it;
# PROMPTSALES_IMAGE_CHECK_FRESH_BASE=1 makes it anew.
CACHE="${PROMPTSALES_DEPLOY_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promptsales-deploy-check}"
base_tar="$CACHE/bookworm-minbase.tar"
mkdir -p "$CACHE"
if [ "${PROMPTSALES_IMAGE_CHECK_FRESH_BASE:-0}" = 1 ] || [ -z "$(find "$base_tar" -mtime -7 2>/dev/null)" ]; then
  rootfs="$work/rootfs"
  as_root timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "${PROMPTSALES_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # The runtime stage installs CA roots unless the base has them: a registry-less build cannot
  # reach apt from inside docker (no bridge), so the base gets them here, in debootstrap's chroot.
  as_root timeout 300 chroot "$rootfs" apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null 2>&1 \
    || as_root cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  as_root rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
  as_root tar -C "$rootfs" -cf "$base_tar.partial" .
  mv "$base_tar.partial" "$base_tar"
  as_root rm -rf "$rootfs"
  echo "debootstrapped anew"
else
  echo "debootstrapped on $(date -r "$base_tar" -u +%Y-%m-%dT%H:%MZ) (kept a week; PROMPTSALES_IMAGE_CHECK_FRESH_BASE=1 for a new one)"
fi
timed 300 docker import - "$BASE_IMAGE" <"$base_tar" >/dev/null
docker image ls "$BASE_IMAGE" --format '{{.Repository}}:{{.Tag}} {{.Size}}'

step "docker build --target runtime-prebuilt with $BINARY"
context="$work/context"
mkdir -p "$context/schema" "$context/mcp"
cp Dockerfile "$context/"
cp schema/supergraph.graphql "$context/schema/"
cp -r mcp/operations "$context/mcp/"
# A stripped copy: the debug build's symbols would only make the image large and slow to build.
if have strip; then strip -o "$context/promptsales" "$BINARY"; else cp "$BINARY" "$context/promptsales"; fi
ls -la "$context/promptsales" | awk '{print "binary: " $5 " bytes"}'
timed 600 docker build --target runtime-prebuilt --build-arg BINARY=promptsales \
  --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$IMAGE" "$context" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
docker image inspect "$IMAGE" --format 'user {{.Config.User}}; entrypoint {{.Config.Entrypoint}}; healthcheck {{.Config.Healthcheck}}; labels {{len .Config.Labels}}'
user=$(docker image inspect "$IMAGE" --format '{{.Config.User}}')
[ "${user%%:*}" = 10001 ] || { echo "the image runs as '$user', not the non-root user" >&2; exit 1; }
[ "$(docker image inspect "$IMAGE" --format '{{.Config.Healthcheck}}')" = "<nil>" ] || { echo "the image has a HEALTHCHECK" >&2; exit 1; }

step "docker run --network host: promptsales up (router :$ROUTER_PORT, subgraphs :$((PORT_BASE + 1))-:$((PORT_BASE + 4)), mcp :$MCP_PORT)"
# No Redis: every component answers without it (the router logs and counts it). Read-only root
# with a tmpfs /tmp and /data, as in the chart.
docker run -d --name "$CONTAINER" --network host --read-only \
  --tmpfs /tmp:rw,mode=1777 --tmpfs /data:rw,uid=10001,gid=10001,mode=0700 \
  --cap-drop ALL --security-opt no-new-privileges \
  -e PROMPTSALES_ROUTER_PORT="$ROUTER_PORT" \
  -e PROMPTSALES_SALES_PORT="$((PORT_BASE + 1))" -e PROMPTSALES_ADS_PORT="$((PORT_BASE + 2))" \
  -e PROMPTSALES_CRM_PORT="$((PORT_BASE + 3))" -e PROMPTSALES_CONTENT_PORT="$((PORT_BASE + 4))" \
  -e PROMPTSALES_MCP_PORT="$MCP_PORT" \
  -e PROMPTSALES_REDIS_URL="redis://127.0.0.1:1" -e PROMPTSALES_AI_REDIS_URL=off \
  "$IMAGE" up >/dev/null
ready=""
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$MCP_PORT/health" >/dev/null 2>&1; then ready=1; break; fi
  [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER")" = true ] || break
  sleep 1
done
[ -n "$ready" ] || {
  docker logs --tail 60 "$CONTAINER" >&2
  docker inspect -f 'state: {{.State.Status}}, exit code {{.State.ExitCode}} {{.State.Error}}' "$CONTAINER" >&2
  echo "the platform did not come up in the container" >&2
  exit 1
}

step "a query through the router, from outside the container"
token=$(timed 60 docker exec -e PROMPTSALES_SALES_BASE_URL="http://127.0.0.1:$((PORT_BASE + 1))" "$CONTAINER" /usr/local/bin/promptsales token)
[ -n "$token" ] || { echo "no token from the demo client" >&2; exit 1; }
answer=$(curl -fsS --max-time 30 "http://127.0.0.1:$ROUTER_PORT/graphql" \
  -H 'content-type: application/json' -H "authorization: Bearer $token" \
  -d '{"query":"{ organizations(first: 3) { edges { node { name campaigns(first: 2) { edges { node { name adTotals { impressions } leadFunnel { total } } } } } } } }"}')
echo "$answer" | head -c 600; echo
python3 - "$answer" <<'EOF'
import json, sys
body = json.loads(sys.argv[1])
assert not body.get("errors"), body.get("errors")
orgs = body["data"]["organizations"]["edges"]
assert orgs, "no organization in the answer"
campaigns = [c for o in orgs for c in o["node"]["campaigns"]["edges"]]
assert campaigns and all(c["node"]["adTotals"] is not None for c in campaigns), "no cross-subgraph data"
print(f"{len(orgs)} organizations, {len(campaigns)} campaigns with ads and crm figures, through the router")
EOF
id_in=$(docker exec "$CONTAINER" /usr/local/bin/promptsales --version)
echo "inside: $id_in"

step "stop and clean up (container, images, dockerd, data root)"
docker stop -t 20 "$CONTAINER" >/dev/null
docker logs "$CONTAINER" 2>&1 | grep -ci 'shutting down' | awk '{print "components that logged a clean shutdown: " $1}'
cleanup
trap - EXIT
if pgrep -f -- "--data-root $work/data" >/dev/null 2>&1 || [ -e "$work" ]; then
  echo "cleanup left dockerd or $work behind" >&2
  exit 1
fi
step "image check passed"
echo "total: $(($(date +%s) - started)) s"
