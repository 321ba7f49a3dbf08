#!/usr/bin/env bash
# YAML fragments for the `wide` bench case (scripts/bench.sh wide): 49 more issuers, each with
# its own key set URL (all served by the harness's origin), and 99 more routes ahead of the one
# the traffic hits, so a request walks past every other route and issuer.
#   bench/wide.sh issuers BASE_PORT | bench/wide.sh routes BASE_PORT
set -euo pipefail
what=$1 base=$2
case $what in
  issuers)
    for i in $(seq 1 49); do
      cat <<YAML
    - name: other-$i
      issuer: https://issuer-$i.bench.local/
      jwks_uri: http://127.0.0.1:$base/jwks.json?issuer=$i
      audiences: [other-$i]
YAML
    done ;;
  routes)
    for i in $(seq 1 99); do
      cat <<YAML
  - name: other-$i
    path_prefix: /api/other-$i
    required_scopes: [read:other-$i]
YAML
    done
    cat "$(dirname "$0")/routes-one.yaml" ;;
  *) echo "usage: $0 issuers|routes BASE_PORT" >&2; exit 2 ;;
esac
