#!/usr/bin/env bash
# Installs the system programs the test suite needs, from Debian's packages, when missing.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

need=()
find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}
find_pg_bin >/dev/null || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup-system: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's postgresql package starts a system cluster; the tests use their own throwaway one.
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
echo "setup-system: PostgreSQL binaries in $(find_pg_bin)"
