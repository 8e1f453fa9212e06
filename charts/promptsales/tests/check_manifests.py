#!/usr/bin/env python3
"""Asserts the chart's promises over `helm template` output (scripts/deploy-check.sh runs it).

    check_manifests.py RENDER.yaml [--secret-values v1,v2,...]

Exits 1 with one line per broken promise:
- every container: resources (cpu and memory requests and limits) and the security context
  (non-root, read-only root filesystem, no privilege escalation, ALL capabilities dropped,
  seccomp RuntimeDefault); every pod: no service-account token;
- every Deployment's container: liveness, readiness and startup probes on a port it declares,
  a preStop sleep, a grace period that covers preStop plus the drain its config allows,
  rolling updates with maxUnavailable 0, spread over nodes and zones;
- every Deployment but the ETL: an HPA (autoscaling/v2, CPU and memory) and a PDB selecting it;
  the ETL: neither;
- no Secret value in a ConfigMap (the values of the rendered Secrets and --secret-values), and
  no literal env value under a secret's name;
- the NetworkPolicies allow exactly EXPECTED_PATHS (evaluated like a CNI would, over the
  release's pods, a client outside the release, the stores, Redis, DNS and the internet).
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from dataclasses import dataclass, field

import yaml

SERVICES = ["router", "mcp", "sales", "ads", "crm", "content"]
SUBGRAPHS = ["sales", "ads", "crm", "content"]

# The paths the chart promises (README, templates/networkpolicies.yaml). Anything else is denied.
EXPECTED_PATHS = (
    {("outside", "router"), ("outside", "mcp")}
    | {("router", sg) for sg in SUBGRAPHS}
    | {("mcp", "router"), ("mcp", "sales")}
    | {(sg, "sales") for sg in SUBGRAPHS}
    # sales stops a campaign's ads; ids of another subgraph's entities are checked with their owner.
    | {("sales", "ads"), ("ads", "content"), ("crm", "ads")}
    | {(c, "stores") for c in SUBGRAPHS + ["etl", "migrate", "backup"]}
    | {(c, "redis") for c in ["router"] + SUBGRAPHS + ["etl"]}
    | {(c, "dns") for c in SERVICES + ["etl", "migrate", "backup"]}
)

# Who calls whom inside the release (the other half of EXPECTED_PATHS' pod-to-pod paths).
CALLS = {"router": SUBGRAPHS, "mcp": ["router", "sales"], "sales": ["sales", "ads"], "ads": ["sales", "content"], "crm": ["sales", "ads"], "content": ["sales"]}

# Environment variable names whose value is a secret: never a literal, never in a ConfigMap.
SECRET_NAME = re.compile(r"(DATABASE_URL|REDIS_URL|PASSWORD|SECRET|DATA_KEY|API_KEY|PRIVATE_KEY$|TOKEN$)")


@dataclass
class Endpoint:
    """Something traffic can go to or come from."""

    name: str
    namespace: str
    labels: dict
    ip: str
    ports: list = field(default_factory=list)  # (port, protocol)
    in_release: bool = False


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def component(obj: dict) -> str:
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component", "?")


def pod_templates(docs):
    """(kind/name, component, pod spec, pod labels) of every workload."""
    for d in docs:
        kind = d["kind"]
        if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            tpl = d["spec"]["template"]
        elif kind == "CronJob":
            tpl = d["spec"]["jobTemplate"]["spec"]["template"]
        else:
            continue
        yield f"{kind}/{d['metadata']['name']}", d, tpl["spec"], tpl["metadata"].get("labels", {})


def check_containers(docs, errors):
    for where, _obj, spec, _labels in pod_templates(docs):
        if spec.get("automountServiceAccountToken") is not False:
            errors.append(f"{where}: automountServiceAccountToken is not false")
        pod_sc = spec.get("securityContext", {})
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            at = f"{where} container {c['name']}"
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(kind, {}):
                        errors.append(f"{at}: no {kind}.{r}")
            sc = c.get("securityContext")
            if not sc:
                errors.append(f"{at}: no securityContext")
                continue
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                errors.append(f"{at}: may run as root")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) in (0, None):
                errors.append(f"{at}: no non-zero runAsUser")
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{at}: root filesystem is writable")
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{at}: privilege escalation allowed")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                errors.append(f"{at}: capabilities not all dropped")
            if sc.get("capabilities", {}).get("add"):
                errors.append(f"{at}: adds capabilities")
            seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
            if seccomp.get("type") != "RuntimeDefault":
                errors.append(f"{at}: seccomp profile is not RuntimeDefault")
            for env in c.get("env", []):
                if SECRET_NAME.search(env["name"]) and "value" in env:
                    errors.append(f"{at}: secret {env['name']} given as a literal value")
            # A read-only root needs a writable /tmp (the router writes its config there).
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            if "/tmp" not in mounts:
                errors.append(f"{at}: no writable /tmp")


def duration_seconds(text: str) -> int:
    m = re.fullmatch(r"(\d+)(ms|s|m)?", str(text).strip())
    if not m:
        raise ValueError(f"not a duration: {text}")
    n, unit = int(m.group(1)), m.group(2) or "s"
    return {"ms": max(1, n // 1000), "s": n, "m": n * 60}[unit]


def drain_seconds(name: str, config: dict) -> int:
    """What a component may still be finishing after SIGTERM, from its rendered config."""
    if name == "router":
        return duration_seconds(config["ROUTER_HTTP_SHUTDOWN_TIMEOUT"])
    if name == "mcp":
        return duration_seconds(config["PROMPTSALES_MCP_ROUTER_TIMEOUT"])
    if name in SUBGRAPHS:
        return duration_seconds(config["PROMPTSALES_SUBGRAPH_TIMEOUT"])
    return 0


def check_deployments(docs, errors):
    config = {}
    for d in docs:
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-config"):
            config = d.get("data", {})
    hpas = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    names = sorted(component(d) for d in deployments)
    for name in SERVICES:
        if name not in names and name not in external_subgraphs(docs):
            errors.append(f"no Deployment for {name}")
    for d in deployments:
        name = d["metadata"]["name"]
        comp = component(d)
        spec = d["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"].get("labels", {})
        ru = spec.get("strategy", {}).get("rollingUpdate", {})
        if spec.get("strategy", {}).get("type") != "RollingUpdate" or ru.get("maxUnavailable") != 0:
            errors.append(f"Deployment/{name}: not a rolling update with maxUnavailable 0")
        keys = {t.get("topologyKey") for t in pod.get("topologySpreadConstraints", [])}
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone"):
            if key not in keys:
                errors.append(f"Deployment/{name}: not spread over {key}")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        for c in pod["containers"]:
            ports = {p.get("name") for p in c.get("ports", [])} | {p["containerPort"] for p in c.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                p = c.get(probe)
                if not p:
                    errors.append(f"Deployment/{name} container {c['name']}: no {probe}")
                    continue
                target = p.get("httpGet") or p.get("tcpSocket") or p.get("grpc")
                if target is None or target.get("port") not in ports:
                    errors.append(f"Deployment/{name} container {c['name']}: {probe} on an undeclared port")
            sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
            if comp != "etl" and sleep is None:
                errors.append(f"Deployment/{name}: no preStop sleep")
            need = (sleep or 0) + drain_seconds(comp, config)
            if grace < need:
                errors.append(f"Deployment/{name}: grace {grace}s < preStop {sleep}s + drain {need - (sleep or 0)}s")
        hpa = [h for h in hpas if h["spec"]["scaleTargetRef"]["name"] == name and h["spec"]["scaleTargetRef"]["kind"] == "Deployment"]
        pdb = [p for p in pdbs if selects(p["spec"]["selector"].get("matchLabels", {}), labels)]
        if comp == "etl":
            if hpa or pdb:
                errors.append(f"Deployment/{name}: the ETL runner has an HPA or a PDB")
            continue
        if len(hpa) != 1:
            errors.append(f"Deployment/{name}: {len(hpa)} HPAs")
        else:
            h = hpa[0]
            if h["apiVersion"] != "autoscaling/v2":
                errors.append(f"HPA/{h['metadata']['name']}: not autoscaling/v2")
            resources = {m["resource"]["name"] for m in h["spec"].get("metrics", []) if m["type"] == "Resource"}
            if resources != {"cpu", "memory"}:
                errors.append(f"HPA/{h['metadata']['name']}: scales on {sorted(resources)}, not cpu and memory")
            if h["spec"].get("minReplicas", 1) < 2:
                errors.append(f"HPA/{h['metadata']['name']}: minReplicas below 2")
            if "replicas" in spec:
                errors.append(f"Deployment/{name}: sets replicas although an HPA owns them")
        if len(pdb) != 1:
            errors.append(f"Deployment/{name}: {len(pdb)} PDBs")


def external_subgraphs(docs) -> set[str]:
    """The subgraphs the release's config points outside the release (externalUrl)."""
    config = next((d.get("data", {}) for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-config")), {})
    services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    out = set()
    for sg in SUBGRAPHS:
        url = config.get(f"PROMPTSALES_{sg.upper()}_URL", "")
        host = re.sub(r"^https?://([^:/]+).*$", r"\1", url)
        if host not in services:
            out.add(sg)
    return out


def check_secrets(docs, errors, extra_values):
    secret_values = set(v for v in extra_values if v)
    import base64

    for d in docs:
        if d["kind"] == "Secret":
            for v in (d.get("data") or {}).values():
                secret_values.add(base64.b64decode(v).decode("utf-8", "replace"))
            for v in (d.get("stringData") or {}).values():
                secret_values.add(str(v))
    secret_values = {v for v in secret_values if len(v) >= 6}
    for d in docs:
        if d["kind"] != "ConfigMap":
            continue
        for key, value in (d.get("data") or {}).items():
            if SECRET_NAME.search(key):
                errors.append(f"ConfigMap/{d['metadata']['name']}: {key} is a secret's name")
            for s in secret_values:
                if s in str(value):
                    errors.append(f"ConfigMap/{d['metadata']['name']}: {key} holds a Secret value")


# ---- NetworkPolicy evaluation -------------------------------------------------------------

def selects(match_labels: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in match_labels.items())


def selector_matches(selector: dict | None, labels: dict) -> bool:
    if selector is None:
        return False
    if not selects(selector.get("matchLabels", {}), labels):
        return False
    for expr in selector.get("matchExpressions", []):
        value, op, values = labels.get(expr["key"]), expr["operator"], expr.get("values", [])
        ok = {
            "In": value in values,
            "NotIn": value not in values,
            "Exists": expr["key"] in labels,
            "DoesNotExist": expr["key"] not in labels,
        }[op]
        if not ok:
            return False
    return True


def peer_matches(peer: dict, policy_ns: str, ep: Endpoint) -> bool:
    if "ipBlock" in peer:
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        ip = ipaddress.ip_address(ep.ip)
        if ip not in net:
            return False
        return not any(ip in ipaddress.ip_network(e) for e in peer["ipBlock"].get("except", []))
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ep.namespace is None:
        return False  # an address outside the cluster: only ipBlocks reach it
    if ns_sel is not None:
        ns_labels = {"kubernetes.io/metadata.name": ep.namespace}
        if not selector_matches(ns_sel, ns_labels):
            return False
    elif ep.namespace != policy_ns:
        return False
    if pod_sel is not None:
        return selector_matches(pod_sel, ep.labels)
    return True


def port_matches(rule_ports, port, protocol) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        lo = p["port"]
        hi = p.get("endPort", lo)
        if isinstance(lo, int) and lo <= port <= hi:
            return True
    return False


def allowed(policies, direction, subject: Endpoint, peer: Endpoint, port, protocol) -> bool:
    """Whether `subject`'s policies let traffic to (egress) or from (ingress) `peer` through."""
    key = "egress" if direction == "Egress" else "ingress"
    peer_key = "to" if key == "egress" else "from"
    selecting = [
        p for p in policies
        if subject.in_release and selector_matches(p["spec"]["podSelector"], subject.labels)
        and direction in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not selecting:
        return True  # nothing isolates it
    for p in selecting:
        for rule in p["spec"].get(key) or []:
            peers = rule.get(peer_key)
            if not port_matches(rule.get("ports"), port, protocol):
                continue
            if not peers or any(peer_matches(x, "release", peer) for x in peers):
                return True
    return False


def check_network_policies(docs, errors, render_name, internet, outside_ns):
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    if not policies:
        errors.append("no NetworkPolicy rendered")
        return
    services = {component(d): d for d in docs if d["kind"] == "Service"}
    endpoints: dict[str, Endpoint] = {}
    n = 10
    for where, obj, spec, labels in pod_templates(docs):
        comp = component(obj)
        ports = []
        for c in spec.get("containers", []):
            ports += [(p["containerPort"], p.get("protocol", "TCP")) for p in c.get("ports", [])]
        if comp in services:
            ports = [(p.get("targetPort") if isinstance(p.get("targetPort"), int) else p["port"], p.get("protocol", "TCP"))
                     for p in services[comp]["spec"]["ports"]] or ports
        n += 1
        endpoints[comp] = Endpoint(comp, "release", labels, f"10.244.0.{n}", ports, in_release=True)
    # Outside the release: a client in another namespace, the stores and Redis (in-cluster
    # operators' namespaces, as values-production.yaml names them), kube-dns, the internet.
    endpoints["outside"] = Endpoint("outside", outside_ns, {"app": "client"}, "10.244.9.9", [(443, "TCP")])
    if outside_ns != "elsewhere":
        # Only `outside_ns` may come in: a client anywhere else reaches nothing.
        endpoints["stranger"] = Endpoint("stranger", "elsewhere", {"app": "client"}, "10.244.9.8", [(443, "TCP")])
    endpoints["stores"] = Endpoint("stores", "databases", {"cnpg.io/cluster": "promptsales-pg"}, "10.244.8.5", [(5432, "TCP")])
    endpoints["redis"] = Endpoint("redis", "redis", {"app.kubernetes.io/name": "redis"}, "10.244.7.5", [(6379, "TCP"), (26379, "TCP")])
    endpoints["dns"] = Endpoint("dns", "kube-system", {"k8s-app": "kube-dns"}, "10.96.0.10", [(53, "UDP"), (53, "TCP")])
    endpoints["internet"] = Endpoint("internet", None, {}, "203.0.113.10", [(443, "TCP")])

    actual = set()
    for src in endpoints.values():
        # What the release's policies govern: its pods' traffic, and what reaches them from outside.
        if not src.in_release and src.name != "outside":
            continue
        for dst in endpoints.values():
            if not src.in_release and not dst.in_release:
                continue
            for port, proto in dst.ports:
                if allowed(policies, "Egress", src, dst, port, proto) and allowed(policies, "Ingress", dst, src, port, proto):
                    actual.add((src.name, dst.name))
                    break
    present = set(endpoints)
    promised = EXPECTED_PATHS | {(c, "internet") for c in internet}
    # A subgraph served elsewhere: its callers reach it at networkPolicy.externalSubgraphs (by default any address).
    for sg in external_subgraphs(docs):
        promised |= {(c, far) for c, callees in CALLS.items() if sg in callees for far in ("internet", "outside")}
    expected = {(a, b) for a, b in promised if a in present and b in present}
    for a, b in sorted(actual - expected):
        errors.append(f"NetworkPolicy ({render_name}): {a} -> {b} is allowed but not promised")
    for a, b in sorted(expected - actual):
        errors.append(f"NetworkPolicy ({render_name}): {a} -> {b} is promised but not allowed")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("render")
    ap.add_argument("--secret-values", default="", help="comma-separated values that must never appear in a ConfigMap")
    ap.add_argument("--internet-egress", default="", help="comma-separated components promised HTTPS to the internet")
    ap.add_argument("--outside-namespace", default="elsewhere", help="the namespace the public may come in from (networkPolicy.publicFrom)")
    args = ap.parse_args()
    docs = load(args.render)
    errors: list[str] = []
    check_containers(docs, errors)
    check_deployments(docs, errors)
    check_secrets(docs, errors, [v for v in args.secret_values.split(",") if v])
    internet = [c for c in args.internet_egress.split(",") if c]
    check_network_policies(docs, errors, args.render, internet, args.outside_namespace)
    kinds = {}
    for d in docs:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
    if errors:
        print(f"FAIL {args.render} ({summary}):")
        for e in errors:
            print(f"  - {e}")
        return 1
    print(f"ok {args.render}: {summary}; every promise holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
