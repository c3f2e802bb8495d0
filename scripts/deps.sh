#!/usr/bin/env bash
# Installs the Debian packages ccgauge needs to build and test, and only those missing.
# Idempotent: a second run installs nothing. Uses sudo only when not root.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache mold pkgconf make
  libsimdjson-dev libsqlite3-dev sqlite3 libcli11-dev libfmt-dev libspdlog-dev
  libexpected-dev libhowardhinnant-date-dev tzdata libncurses-dev zlib1g-dev
  libboost1.81-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs tmux procps time prometheus
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# Some images ship Node.js with npm inside the nodejs package; Debian splits it out.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
