"""The checks deploy/check.sh makes with Python (PyYAML, from its venv): what kubectl kustomize,
kubernetes-validate, checkov and promtool cannot see on their own.

  check.py manifests RENDERED.yaml OUTDIR
      One environment's rendered manifests (OUTDIR is named for the overlay). Writes OUTDIR/builtin.yaml (the Kubernetes kinds, for
      kubernetes-validate --strict) and OUTDIR/alerts.yaml (the PrometheusRule's spec, for
      promtool), and checks:
      - the Prometheus Operator's kinds (which kubernetes-validate has no schema for: it only
        warns and passes them) by their shape: exactly one PrometheusRule and one ServiceMonitor,
        the fields each needs, no unknown field where the shape is known;
      - the ServiceMonitor selects the Service `roadbook-server` by its labels, on its port
        `http`, path /metrics, every 30s;
      - every rule selects the server's series by job="roadbook-server" and aggregates by
        (cluster, namespace), never across namespaces; every alert has a page/ticket severity, a
        summary, a description and a runbook_url whose anchor is a heading of
        docs/operations.md;
      - every container image is pinned by digest (@sha256:); every probe sets timeoutSeconds;
        the readiness probe's timeout is at least READY_WAIT_MS (crates/roadbook-server/src/
        http/mod.rs), the longest /readyz waits;
      - no prometheus.io/* scrape annotations on pod templates (the ServiceMonitor is the one
        scrape); the settings ConfigMap a pod reads is generated (its name carries a hash).

  check.py monitoring DASHBOARD.json RULES.yaml... [--write-alerts]
      Every metric named by a dashboard query or a rule expression is one the server exports
      (read from crates/roadbook-server/src/metrics.rs); the dashboard has a `namespace` variable
      and every query selects job="roadbook-server", namespace="$namespace"; every environment
      renders the base's rules unchanged; deploy/monitoring/alerts.yaml is a copy of them
      (--write-alerts writes it).

Exit status 1 with one line per problem.
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
METRICS_RS = ROOT / "crates/roadbook-server/src/metrics.rs"
HTTP_RS = ROOT / "crates/roadbook-server/src/http/mod.rs"
RUNBOOK = ROOT / "docs/operations.md"
RUNBOOK_URL = "https://github.com/roadbook/roadbook/blob/main/docs/operations.md#"
ALERTS_COPY = ROOT / "deploy/monitoring/alerts.yaml"
BASE_RULE = ROOT / "deploy/kubernetes/base/prometheusrule.yaml"
JOB = "roadbook-server"
CR_GROUP = "monitoring.coreos.com/v1"

problems = []


def problem(text):
    problems.append(text)


def finish(what):
    if problems:
        for text in dict.fromkeys(problems):
            print(f"deploy: {what}: {text}", file=sys.stderr)
        sys.exit(1)


# ---- Shapes of the Prometheus Operator's kinds -----------------------------------------------
# A small subset of the CRDs' schemas (monitoring.coreos.com/v1), enough to catch a misspelt or
# misplaced field in what this repository ships: a dict maps each allowed key to its shape, a
# required key is marked with a leading '!'; [shape] is a list of that shape; a type is a leaf.

DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
LABELS = {"*": str}
META = {"!name": str, "namespace": str, "labels": LABELS, "annotations": LABELS}
RULE = {
    "alert": str,
    "record": str,
    "!expr": str,
    "for": "duration",
    "keep_firing_for": "duration",
    "labels": LABELS,
    "annotations": LABELS,
}
SHAPES = {
    "PrometheusRule": {
        "!apiVersion": str,
        "!kind": str,
        "!metadata": META,
        "!spec": {
            "!groups": [
                {
                    "!name": str,
                    "interval": "duration",
                    "limit": int,
                    "partial_response_strategy": str,
                    "!rules": [RULE],
                }
            ]
        },
    },
    "ServiceMonitor": {
        "!apiVersion": str,
        "!kind": str,
        "!metadata": META,
        "!spec": {
            "jobLabel": str,
            "targetLabels": [str],
            "podTargetLabels": [str],
            "namespaceSelector": {"any": bool, "matchNames": [str]},
            "!selector": {"matchLabels": LABELS, "matchExpressions": [dict]},
            "!endpoints": [
                {
                    "!port": str,
                    "path": str,
                    "scheme": str,
                    "interval": "duration",
                    "scrapeTimeout": "duration",
                    "honorLabels": bool,
                    "relabelings": [dict],
                    "metricRelabelings": [dict],
                }
            ],
        },
    },
}


def check_shape(value, shape, where):
    if shape == "duration":
        if not (isinstance(value, str) and DURATION.match(value)):
            problem(f"{where} is {value!r}: a Prometheus duration like 30s or 5m")
    elif isinstance(shape, type):
        if not isinstance(value, shape) or (shape is int and isinstance(value, bool)):
            problem(f"{where} is {value!r}: want a {shape.__name__}")
    elif isinstance(shape, list):
        if not isinstance(value, list) or not value:
            problem(f"{where} must be a list with at least one entry")
            return
        for i, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{i}]")
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            problem(f"{where} must be a mapping")
            return
        if "*" in shape:
            for key, item in value.items():
                check_shape(item, shape["*"], f"{where}.{key}")
            return
        allowed = {k.lstrip("!"): s for k, s in shape.items()}
        for key in shape:
            if key.startswith("!") and key[1:] not in value:
                problem(f"{where}.{key[1:]} is missing")
        for key, item in value.items():
            if key not in allowed:
                problem(f"{where}.{key} is not a field of this kind (known: {', '.join(sorted(allowed))})")
            else:
                check_shape(item, allowed[key], f"{where}.{key}")


# ---- PromQL, read closely enough for the checks ----------------------------------------------

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
AGGREGATOR = re.compile(
    r"\b(sum|min|max|avg|group|stddev|stdvar|count|count_values|bottomk|topk|quantile|limitk|limit_ratio)"
    r"\s*(by|without)?\s*\("
)
SELECTOR = re.compile(
    r'(?<![\w:"])(roadbook_[a-z0-9_]+|up)(?![\w:])\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?'
)


def closing(text, start):
    """The index of the parenthesis closing the one at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def groupings(expr):
    """(aggregator, labels or None, 'by'/'without'/None) for each aggregation in expr."""
    bare = STRING.sub('""', expr)
    found = []
    for m in AGGREGATOR.finditer(bare):
        if m.group(2):
            end = closing(bare, m.end() - 1)
            found.append((m.group(1), bare[m.end() : end], m.group(2)))
            continue
        end = closing(bare, m.end() - 1)
        after = re.match(r"\s*(by|without)\s*\(([^)]*)\)", bare[end + 1 :])
        if after:
            found.append((m.group(1), after.group(2), after.group(1)))
        else:
            found.append((m.group(1), None, None))
    return found


def matchers(braces):
    return dict(re.findall(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', braces or ""))


def check_rule_expr(expr, where):
    for aggregator, labels, how in groupings(expr):
        if how == "without":
            problem(f"{where}: `{aggregator} without (...)`: aggregate by (cluster, namespace, ...) instead")
        elif labels is None:
            problem(f"{where}: `{aggregator}` aggregates across every environment: add by (cluster, namespace)")
        else:
            names = {n.strip() for n in labels.split(",") if n.strip()}
            if not {"cluster", "namespace"} <= names:
                problem(f"{where}: `{aggregator} by ({labels})` must keep cluster and namespace")
    for m in SELECTOR.finditer(expr):
        if matchers(m.group(2)).get("job") != JOB:
            problem(f'{where}: {m.group(0).strip()} does not select job="{JOB}"')


# ---- The runbook's anchors (GitHub's heading slugs) ------------------------------------------


def anchors():
    seen = {}
    found = set()
    fenced = False
    for line in RUNBOOK.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


# ---- manifests -------------------------------------------------------------------------------

POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def ready_wait_ms():
    text = HTTP_RS.read_text(encoding="utf-8")
    m = re.search(r"pub\s+const\s+READY_WAIT_MS\s*:\s*u64\s*=\s*([0-9_]+)\s*;", text)
    if not m:
        problem(f"{HTTP_RS.relative_to(ROOT)} has no `pub const READY_WAIT_MS: u64 = N;`: cannot compare the readiness probe's timeout with what /readyz waits")
        return None
    return int(m.group(1).replace("_", ""))


def pod_specs(doc):
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        yield spec
    elif kind in POD_KINDS:
        yield (spec.get("template") or {}).get("spec") or {}
    elif kind == "CronJob":
        yield (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_metadata(doc):
    if doc.get("kind") == "Pod":
        return doc.get("metadata") or {}
    if doc.get("kind") in POD_KINDS:
        return ((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return {}


def manifests(rendered, outdir):
    outdir = Path(outdir)
    env = f"overlay {outdir.name}"
    docs = [d for d in yaml.safe_load_all(Path(rendered).read_text(encoding="utf-8")) if d]
    builtin, custom = [], []
    for doc in docs:
        (custom if doc.get("apiVersion") == CR_GROUP else builtin).append(doc)
    (outdir / "builtin.yaml").write_text(yaml.safe_dump_all(builtin, sort_keys=False), encoding="utf-8")

    # The Prometheus Operator's kinds, by shape.
    by_kind = {}
    for doc in custom:
        kind = doc.get("kind")
        name = (doc.get("metadata") or {}).get("name")
        if kind not in SHAPES:
            problem(f"{kind} {name}: a {CR_GROUP} kind this check does not know the shape of")
            continue
        by_kind.setdefault(kind, []).append(doc)
        check_shape(doc, SHAPES[kind], f"{kind} {name}")
    for kind in SHAPES:
        if len(by_kind.get(kind, [])) != 1:
            problem(f"want exactly one {kind}, found {len(by_kind.get(kind, []))}")
    finish(env)

    # The ServiceMonitor scrapes the Service the alerts' job label names.
    services = {d["metadata"]["name"]: d for d in builtin if d.get("kind") == "Service"}
    monitor = by_kind["ServiceMonitor"][0]
    service = services.get(JOB)
    if service is None:
        problem(f"no Service {JOB}: the ServiceMonitor's job label is the Service's name")
    else:
        labels = service["metadata"].get("labels") or {}
        wanted = monitor["spec"]["selector"].get("matchLabels") or {}
        if not wanted or any(labels.get(k) != v for k, v in wanted.items()):
            problem(f"the ServiceMonitor selects {wanted}, which the Service {JOB}'s labels {labels} do not match")
        if monitor["spec"]["selector"].get("matchExpressions"):
            problem("the ServiceMonitor's selector has matchExpressions: select by matchLabels only")
        ports = {p.get("name") for p in service["spec"].get("ports") or []}
        if "http" not in ports:
            problem(f"the Service {JOB} has no port named http")
    namespaces = monitor["spec"].get("namespaceSelector") or {}
    if namespaces.get("any") or namespaces.get("matchNames"):
        problem("the ServiceMonitor must scrape its own namespace only (no namespaceSelector)")
    if monitor["spec"].get("jobLabel"):
        problem(f"the ServiceMonitor sets jobLabel: the alerts expect job=\"{JOB}\", the Service's name")
    endpoints = monitor["spec"]["endpoints"]
    if len(endpoints) != 1 or endpoints[0].get("port") != "http" or endpoints[0].get("path") != "/metrics" or endpoints[0].get("interval") != "30s":
        problem(f"the ServiceMonitor's endpoints are {endpoints}: want one, port http, path /metrics, interval 30s")

    # The rules.
    rule = by_kind["PrometheusRule"][0]
    spec = rule["spec"]
    known = anchors()
    alerts = 0
    for group in spec["groups"]:
        for r in group["rules"]:
            name = r.get("alert") or r.get("record")
            where = f"rule {name}"
            if ("alert" in r) == ("record" in r):
                problem(f"{where}: a rule has either `alert` or `record`")
                continue
            check_rule_expr(r["expr"], where)
            if "record" in r:
                if not re.match(r"^roadbook:[a-z0-9_]+:[a-z0-9_]+$", r["record"]):
                    problem(f"{where}: name recording rules roadbook:<what>:<how>")
                if "annotations" in r or "for" in r:
                    problem(f"{where}: a recording rule has no annotations or `for`")
                continue
            alerts += 1
            severity = (r.get("labels") or {}).get("severity")
            if severity not in ("page", "ticket"):
                problem(f"{where}: severity is {severity!r}: page or ticket (Alertmanager routes on it)")
            notes = r.get("annotations") or {}
            for key in ("summary", "description", "runbook_url"):
                if not str(notes.get(key, "")).strip():
                    problem(f"{where}: no {key} annotation")
            url = str(notes.get("runbook_url", ""))
            if url:
                if not url.startswith(RUNBOOK_URL):
                    problem(f"{where}: runbook_url {url} is not a section of docs/operations.md ({RUNBOOK_URL}<anchor>)")
                elif url[len(RUNBOOK_URL) :] not in known:
                    problem(f"{where}: runbook_url's anchor #{url[len(RUNBOOK_URL):]} is no heading of docs/operations.md")
    if alerts == 0:
        problem("the PrometheusRule has no alerts")
    (outdir / "alerts.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")

    # Pods: images by digest, probes with explicit timeouts the handlers fit in.
    wait = ready_wait_ms()
    configmaps = {d["metadata"]["name"] for d in builtin if d.get("kind") == "ConfigMap"}
    for doc in builtin:
        owner = f"{doc.get('kind')} {doc['metadata'].get('name')}"
        meta = pod_metadata(doc)
        for key in meta.get("annotations") or {}:
            if key.startswith("prometheus.io/"):
                problem(f"{owner}: pod annotation {key}: the ServiceMonitor is the one scrape")
        for pod in pod_specs(doc):
            for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
                where = f"{owner}, container {container.get('name')}"
                image = container.get("image", "")
                if not DIGEST.search(image):
                    problem(f"{where}: image {image} is not pinned by digest (@sha256:<64 hex>): set `digest:` in the overlay's images")
                for source in container.get("envFrom") or []:
                    ref = (source.get("configMapRef") or {}).get("name")
                    if ref and ref not in configmaps:
                        problem(f"{where}: reads ConfigMap {ref}, which the overlay does not render")
                    if ref and not re.search(r"-[a-z0-9]{10}$", ref):
                        problem(f"{where}: reads ConfigMap {ref}, whose name has no content hash: a settings change would not roll the pods (use configMapGenerator)")
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if probe not in container:
                        continue
                    timeout = container[probe].get("timeoutSeconds")
                    if timeout is None:
                        problem(f"{where}: {probe} has no timeoutSeconds (the default, 1 s, is shorter than the handlers may take)")
                    elif probe == "readinessProbe" and wait is not None and timeout * 1000 < wait:
                        problem(f"{where}: readinessProbe timeoutSeconds {timeout} is under what /readyz waits (READY_WAIT_MS = {wait}): a slow database would time the probe out and take every pod out of the Service")
    finish(env)


# ---- monitoring ------------------------------------------------------------------------------


def exported_metrics():
    """The names the server's /metrics carries, from metrics.rs: each registered family with the
    suffixes its type adds (counters _total; histograms _bucket, _sum, _count)."""
    text = METRICS_RS.read_text(encoding="utf-8")
    where = METRICS_RS.relative_to(ROOT)
    prefix = re.search(r'Registry::with_prefix\(\s*"([a-z0-9_]+)"\s*\)', text)
    struct = re.search(r"pub struct Metrics\s*\{(.*?)\n\}", text, re.S)
    if not prefix or not struct:
        problem(f"{where}: cannot find `Registry::with_prefix(\"...\")` and `pub struct Metrics {{ ... }}`")
        return set()
    fields = dict(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*(.+?),?\s*$", struct.group(1), re.M))
    registered = re.findall(
        r'\.register\(\s*"([a-z0-9_]+)"\s*,\s*"(?:[^"\\]|\\.)*"\s*,\s*(\w+)(?:\.clone\(\))?\s*,?\s*\)',
        text,
    )
    if not registered:
        problem(f"{where}: no `registry.register(\"name\", \"help\", metric)` found")
    names = set()
    for name, var in registered:
        kind = fields.get(var, "")
        full = f"{prefix.group(1)}_{name}"
        if "Histogram" in kind:
            names |= {f"{full}_bucket", f"{full}_sum", f"{full}_count"}
        elif "Counter" in kind:
            names.add(f"{full}_total")
        elif "Gauge" in kind:
            names.add(full)
        else:
            problem(f"{where}: cannot tell what type {full} ({var}: {kind or '?'}) is")
    return names


def dump_rules(spec):
    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    order = ["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]
    spec = {
        **spec,
        "groups": [
            {
                **group,
                "rules": [
                    {k: r[k] for k in sorted(r, key=lambda k: order.index(k) if k in order else len(order))}
                    for r in group["rules"]
                ],
            }
            for group in spec["groups"]
        ],
    }
    head = (
        "# GENERATED from deploy/kubernetes/base/prometheusrule.yaml (its .spec): do not edit here.\n"
        "# Edit the PrometheusRule, then run deploy/check.sh --write-alerts. deploy/check.sh fails\n"
        "# while this copy differs. Unit tests: alerts.test.yaml (promtool test rules alerts.test.yaml).\n"
    )
    return head + yaml.dump(spec, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def monitoring(dashboard_path, rule_paths, write):
    exported = exported_metrics()
    finish(str(METRICS_RS.relative_to(ROOT)))

    def known(expr, where):
        for name in sorted(set(re.findall(r"(?<![\w:])roadbook_[a-z0-9_]+", expr))):
            if name not in exported:
                problem(f"{where} reads {name}, which the server does not export (crates/roadbook-server/src/metrics.rs has {', '.join(sorted(exported))})")

    # Every environment renders the base's rules as they are; the plain copy is the same again.
    base = yaml.safe_load(BASE_RULE.read_text(encoding="utf-8"))["spec"]
    for path in rule_paths:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if spec != base:
            problem(f"overlay {Path(path).parent.name} renders rules other than {BASE_RULE.relative_to(ROOT)}'s: overlays must not patch the PrometheusRule")
        for group in spec["groups"]:
            for r in group["rules"]:
                known(r["expr"], f"rule {r.get('alert') or r.get('record')}")
    if write:
        ALERTS_COPY.write_text(dump_rules(base), encoding="utf-8")
        print(f"deploy: wrote {ALERTS_COPY.relative_to(ROOT)}")
    elif not ALERTS_COPY.exists() or yaml.safe_load(ALERTS_COPY.read_text(encoding="utf-8")) != base:
        problem(f"{ALERTS_COPY.relative_to(ROOT)} is not {BASE_RULE.relative_to(ROOT)}'s spec: run deploy/check.sh --write-alerts")

    # The dashboard: one environment at a time.
    board = json.loads(Path(dashboard_path).read_text(encoding="utf-8"))
    variables = {v.get("name"): v for v in (board.get("templating") or {}).get("list") or []}
    namespace = variables.get("namespace")
    query = namespace and namespace.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    if not namespace or namespace.get("type") != "query" or re.sub(r"\s", "", query or "") != f'label_values(up{{job="{JOB}"}},namespace)':
        problem(f'the dashboard has no query variable `namespace` = label_values(up{{job="{JOB}"}}, namespace)')
    exprs = 0

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels") or [])

    for panel in panels(board.get("panels") or []):
        for target in panel.get("targets") or []:
            expr = target.get("expr", "")
            where = f"dashboard panel {panel.get('title')!r} ({target.get('refId')})"
            exprs += 1
            known(expr, where)
            selectors = list(SELECTOR.finditer(expr))
            if not selectors:
                problem(f"{where}: selects no roadbook-server series")
            for m in selectors:
                found = matchers(m.group(2))
                if found.get("job") != JOB or found.get("namespace") != "$namespace":
                    problem(f'{where}: {m.group(0).strip()} must select job="{JOB}", namespace="$namespace"')
    if exprs == 0:
        problem("the dashboard has no queries")
    finish("monitoring")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "manifests":
        manifests(args[1], args[2])
    elif len(args) >= 3 and args[0] == "monitoring":
        write = "--write-alerts" in args
        rest = [a for a in args[1:] if a != "--write-alerts"]
        monitoring(rest[0], rest[1:], write)
    else:
        sys.exit(__doc__)
