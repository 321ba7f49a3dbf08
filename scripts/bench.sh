#!/usr/bin/env bash
# Proxy overhead of authlens against direct, nginx and haproxy (see bench/README.md).
#   scripts/bench.sh [CASE] [harness options], e.g. `scripts/bench.sh -d 5 -r 3`,
#   `scripts/bench.sh failing -d 5 -r 3 --only nginx,authlens`.
# Cases (the traffic and the authlens config; bench/README.md says what each measures):
#   one (default)  one valid RS256 token on every request: cache hits
#   rotate         1,000 distinct valid tokens in rotation (all cached after the first pass)
#   fresh          1,000 tokens in rotation with the token cache off: a verification each time
#   failing        every request an expired token (classified and logged at the default level)
#   workers2       one valid token, --workers 2 for authlens, nginx and haproxy alike
#   wide           one valid token against 100 routes and 50 issuers (bench/wide.sh)
#   h2             one valid token, HTTP/1.1 and h2c downstream (the harness's --h2)
set -euo pipefail
cd "$(dirname "$0")/.."
case=one
if [[ $# -gt 0 && $1 != -* ]]; then case=$1; shift; fi
harness=${HARNESS:-../shared/bench/proxy-overhead.sh}
base=${BASE_PORT:-18080}
[[ -n ${AUTHLENS_BIN:-} ]] || cargo build --release --quiet
bin=${AUTHLENS_BIN:-$PWD/target/release/authlens}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cache_entries=10000 args=()
case $case in
  one) ;;
  rotate) export TOKENS=1000 ;;
  fresh) export TOKENS=1000; cache_entries=0 ;;
  failing) export EXPIRED=1 ;;
  workers2) args+=(-w 2) ;;
  wide) ;;
  h2) args+=(--h2); export CANDIDATE_H2=1 ;;
  *) echo "unknown case: $case (one rotate fresh failing workers2 wide h2)" >&2; exit 2 ;;
esac

# The harness serves its JWKS on its origin port, BASE_PORT; tokens are for this issuer.
{
  cat <<YAML
upstream:
  url: http://127.0.0.1:$base
  health: { enabled: false }
auth:
  token_cache_entries: $cache_entries
  issuers:
YAML
  [[ $case == wide ]] && bench/wide.sh issuers "$base"
  cat <<YAML
    - name: bench
      issuer: https://issuer.bench.local/
      jwks_uri: http://127.0.0.1:$base/jwks.json
      audiences: [authlens-bench]
routes:
YAML
  if [[ $case == wide ]]; then bench/wide.sh routes "$base"; else cat bench/routes-one.yaml; fi
  cat <<YAML
log:
  level: info
YAML
} >"$work/authlens.yaml"
BASE_PORT=$base CANDIDATE_NAME=authlens \
CANDIDATE_CMD="$bin run --config $work/authlens.yaml --listen {listen} --upstream {upstream} --admin-listen 127.0.0.1:0 --workers {workers}" \
  "$harness" "${args[@]}" "$@"
