#!/usr/bin/env bash
# Installs the Debian packages zcp needs to build, test and benchmark.
# Idempotent: quiet and fast when everything is already there; runs
# `apt-get update` only when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev liburing-dev libcli11-dev libfmt-dev
  libssl-dev nlohmann-json3-dev libhttp-parser-dev
  # fuzzing runtime for clang's libFuzzer
  libclang-rt-14-dev
  # plots
  python3-matplotlib
  # peers for tests and benchmarks
  curl wget aria2 nginx-light iperf3 netcat-openbsd wrk media-types iproute2 tar
  # the small-file and tree benchmarks' peers (issues 14 and 15)
  h2o lighttpd rsync
  # bench/small_files.sh counts each server's syscalls per request with strace -c
  strace
  # packaging checks: the .deb (lintian), man pages (mandoc, man-db), bash
  # completion, socket activation (systemd's systemd-socket-activate)
  lintian mandoc man-db bash-completion systemd
  # the listing page's browser test and screenshots (headless, tests/e2e/listing_browser.sh)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx's package starts a system service on port 80; tests run their own.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
fi
