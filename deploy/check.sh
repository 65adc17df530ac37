#!/usr/bin/env bash
# Checks everything under deploy/ offline, as a platform review would. For each environment:
# its manifests rendered (kubectl kustomize); the Kubernetes kinds validated against the
# Kubernetes schemas (kubernetes-validate, strict); the Prometheus Operator's kinds
# (PrometheusRule, ServiceMonitor) checked by shape in deploy/check.py, because
# kubernetes-validate has no schema for them and would only warn and pass them; images pinned
# by digest, probe timeouts against what the handlers wait for, the scrape, and every alert's
# runbook link (deploy/check.py); checkov on the manifests; the PrometheusRule's rules extracted
# and checked by `promtool check rules` and the unit tests `promtool test rules`. Then the
# container build file (checkov, hadolint), and the dashboard and rules against the metrics the
# server exports (deploy/check.py). The Python tools live in a venv pinned by
# deploy/requirements.txt.
#
#   deploy/check.sh                  check
#   deploy/check.sh --write-alerts   also rewrite deploy/monitoring/alerts.yaml, the plain copy
#                                    of the PrometheusRule's rules, from the base
set -euo pipefail
cd "$(dirname "$0")/.."

write_alerts=
case "${1:-}" in
  "") ;;
  --write-alerts) write_alerts=--write-alerts ;;
  *) echo "usage: deploy/check.sh [--write-alerts]" >&2; exit 2 ;;
esac

venv=${ROADBOOK_DEPLOY_VENV:-target/deploy-venv}
if [ ! -x "$venv/bin/checkov" ] || [ deploy/requirements.txt -nt "$venv/.installed" ]; then
  echo "deploy: installing the manifest linters into $venv (about a minute)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r deploy/requirements.txt
  touch "$venv/.installed"
fi
python=("$venv/bin/python" deploy/check.py)

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
# checkov: no calls home (--skip-download), one line per result.
checkov=("$venv/bin/checkov" --compact --quiet --skip-download)

environments=(dev staging prod)
for env in "${environments[@]}"; do
  out="$rendered/$env"
  mkdir "$out"
  kubectl kustomize "deploy/kubernetes/overlays/$env" > "$out/rendered.yaml"
  # Writes builtin.yaml (the Kubernetes kinds) and alerts.yaml (the PrometheusRule's spec);
  # checks the custom resources' shape, the scrape, runbook links, images, probes.
  "${python[@]}" manifests "$out/rendered.yaml" "$out"
  # Strict on the Kubernetes kinds. A kind it has no schema for is only a warning to it: here
  # it is a failure (the custom resources were taken out above and checked by shape).
  if ! validated=$("$venv/bin/kubernetes-validate" --strict --quiet "$out/builtin.yaml" 2>&1); then
    echo "$validated" >&2
    exit 1
  fi
  if grep -q "Couldn't find schema" <<<"$validated"; then
    echo "$validated" >&2
    echo "deploy: $env: kubernetes-validate knows no schema for a kind above, so it checked nothing of it" >&2
    exit 1
  fi
  "${checkov[@]}" --framework kubernetes -f "$out/rendered.yaml"
  promtool check rules "$out/alerts.yaml"
  # The unit tests name alerts.yaml beside them: here, this environment's extracted rules.
  cp deploy/monitoring/alerts.test.yaml "$out/alerts.test.yaml"
  promtool test rules "$out/alerts.test.yaml"
  echo "deploy: $env manifests valid, checkov clean, its alerting rules pass their unit tests"
done

"${checkov[@]}" --framework dockerfile -f deploy/Dockerfile
"$venv/bin/hadolint" deploy/Dockerfile
echo "deploy: Dockerfile clean (checkov, hadolint)"

python3 -m json.tool deploy/monitoring/dashboard.json >/dev/null
rules=()
for env in "${environments[@]}"; do rules+=("$rendered/$env/alerts.yaml"); done
"${python[@]}" monitoring deploy/monitoring/dashboard.json "${rules[@]}" $write_alerts
echo "deploy: dashboard and rules read only metrics the server exports, per environment; deploy/monitoring/alerts.yaml matches the PrometheusRule"
