#!/usr/bin/env bash
# make deps: the system programs the test suite needs, in one place (make test and .ci/run use it).
#   chromium + chromedriver  browser tests (dash[testing], real headless Chromium)
#   redis-server             Redis tests (a real server per test session)
# Installs the missing Debian packages with apt-get when run as root; otherwise stops with
# the exact command to run. Exits non-zero before any test starts.
set -euo pipefail

declare -A pkg_of=(
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [redis-server]=redis-server
)
need=()
for prog in chromium chromedriver redis-server; do
  command -v "$prog" >/dev/null 2>&1 || need+=("${pkg_of[$prog]}")
done
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && apt-get install -y ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${need[*]} (needed by the tests)." >&2
  echo "deps: run as root, then run make test again:" >&2
  echo "    sudo sh -c '$cmd'" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing ${need[*]} and this machine has no apt-get; install the equivalent packages, then run make test again." >&2
  exit 1
fi

echo "deps: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "deps: apt-get failed; run this and then make test again:" >&2
  echo "    $cmd" >&2
  exit 1
fi
for prog in chromium chromedriver redis-server; do
  if ! command -v "$prog" >/dev/null 2>&1; then
    echo "deps: $prog is still missing after apt-get install; run: $cmd" >&2
    exit 1
  fi
done
echo "deps: ready"
