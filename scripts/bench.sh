#!/usr/bin/env bash
# Proxy overhead of authlens against direct, nginx and haproxy (see bench/README.md).
# Extra arguments go to the harness, e.g. `scripts/bench.sh -d 5 -r 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${HARNESS:-../shared/bench/proxy-overhead.sh}
base=${BASE_PORT:-18080}
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The harness serves its JWKS on its origin port, BASE_PORT; tokens are for this issuer.
cat >"$work/authlens.yaml" <<YAML
upstream:
  url: http://127.0.0.1:$base
  health: { enabled: false }
auth:
  issuers:
    - name: bench
      issuer: https://issuer.bench.local/
      jwks_uri: http://127.0.0.1:$base/jwks.json
      audiences: [authlens-bench]
routes:
  - name: items
    path_prefix: /api/items
    required_scopes: [read:items]
log:
  level: warn
YAML
BASE_PORT=$base CANDIDATE_NAME=authlens \
CANDIDATE_CMD="$PWD/target/release/authlens run --config $work/authlens.yaml --listen {listen} --upstream {upstream} --admin-listen 127.0.0.1:0 --workers {workers}" \
  "$harness" "$@"
