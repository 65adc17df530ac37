#!/usr/bin/env bash
# Checks everything under deploy/ offline, as a platform review would: each environment's
# manifests rendered (kubectl kustomize) and validated against the Kubernetes schemas
# (kubernetes-validate, strict), checkov on the manifests and the container build file,
# hadolint on the build file, promtool on the alerting rules and their unit tests, and the
# dashboard's JSON. The Python linters live in a venv pinned by deploy/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${ROADBOOK_DEPLOY_VENV:-target/deploy-venv}
if [ ! -x "$venv/bin/checkov" ] || [ deploy/requirements.txt -nt "$venv/.installed" ]; then
  echo "deploy: installing the manifest linters into $venv (about a minute)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r deploy/requirements.txt
  touch "$venv/.installed"
fi

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
# checkov: no calls home (--skip-download), one line per result.
checkov=("$venv/bin/checkov" --compact --quiet --skip-download)

for env in dev staging prod; do
  kubectl kustomize "deploy/kubernetes/overlays/$env" > "$rendered/$env.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet "$rendered/$env.yaml"
  "${checkov[@]}" --framework kubernetes -f "$rendered/$env.yaml"
  echo "deploy: $env manifests valid, checkov clean"
done

"${checkov[@]}" --framework dockerfile -f deploy/Dockerfile
"$venv/bin/hadolint" deploy/Dockerfile
echo "deploy: Dockerfile clean (checkov, hadolint)"

promtool check rules deploy/monitoring/alerts.yaml
promtool test rules deploy/monitoring/alerts.test.yaml
python3 -m json.tool deploy/monitoring/dashboard.json >/dev/null
echo "deploy: alerting rules and their tests pass; dashboard JSON valid"
