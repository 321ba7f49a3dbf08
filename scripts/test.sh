#!/usr/bin/env bash
# The whole test suite. Installs the system packages the tests need when they are missing
# (prometheus and prometheus-alertmanager for the rules and stack tests, chromium for the CORS
# and failures-page browser tests, node for the interop test, tmux for the `authlens top`
# terminal test, python3 with pip for the gRPC test's grpcio from PyPI, python3-venv for the
# Authlib authorization server in target/authlib-venv), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# prometheus provides both prometheus and promtool; the observability stack test runs both
# with Alertmanager.
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || need+=(prometheus)
{ [ -x /usr/bin/prometheus-alertmanager ] || command -v prometheus-alertmanager; } >/dev/null 2>&1 \
  || need+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3 python3-pip)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The gRPC test's real server and client. Debian's python3 refuses a system-wide pip install
# unless told that is intended.
if ! python3 -c "import grpc" >/dev/null 2>&1; then
  python3 -m pip install --quiet grpcio 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages grpcio
fi

# Authlib's IDJAGGrant behind Flask: the Step 3 authorization server of
# tests/token_endpoint_authlib.rs.
venv=target/authlib-venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/authlib_as/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/authlib_as/requirements.txt
  cp tests/authlib_as/requirements.txt "$venv/requirements.txt"
fi

for pkg in tests/interop/*/; do
  [ -f "$pkg/package-lock.json" ] && (cd "$pkg" && npm ci --no-audit --no-fund --silent)
done

cargo test --all-targets --no-fail-fast "$@"
