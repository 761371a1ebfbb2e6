#!/usr/bin/env bash
# Installs the system programs the test suite needs, from Debian's packages, when missing:
#   PostgreSQL (the store's tests run a throwaway cluster)
#   a Java 17+ runtime (the quality gate's Spark engine; pyspark runs `java` from the PATH,
#   or $JAVA_HOME/bin/java when JAVA_HOME is set)
#   Chromium (the dashboard's end-to-end tests drive Debian's headless Chromium with
#   Playwright; $CHROMIUM overrides where it is)
# Idempotent: does nothing when everything is already there. Run as root (CI), or as a user
# who may sudo; otherwise it prints the command to run and fails.
set -euo pipefail

JAVA_MIN=17
JAVA_PKG=openjdk-17-jre-headless

need=()
find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

# The java that pyspark will start (JAVA_HOME first, as Spark's launcher does).
java_bin() {
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java 2>/dev/null || true
  fi
}

# Major version of a java binary: "17.0.15" -> 17, "1.8.0_392" -> 8; empty when unknown.
java_major() {
  local bin=$1 ver
  [ -n "$bin" ] && [ -x "$bin" ] || return 0
  ver=$("$bin" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9.]*\).*/\1/p' | head -n 1)
  case "$ver" in
    1.*) ver=${ver#1.}; echo "${ver%%.*}" ;;
    "") ;;
    *) echo "${ver%%.*}" ;;
  esac
}

# java_ok BIN: BIN runs and is Java $JAVA_MIN or newer.
java_ok() {
  local major
  major=$(java_major "$1")
  [ -n "$major" ] && [ "$major" -ge "$JAVA_MIN" ]
}

find_pg_bin >/dev/null || need+=(postgresql)
chromium_bin() {
  if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"; else command -v chromium 2>/dev/null || true; fi
}
# fonts-liberation: with --no-install-recommends Chromium gets no fonts, and the e2e tests'
# screenshots would show empty boxes for text
[ -n "$(chromium_bin)" ] && [ -x "$(chromium_bin)" ] || need+=(chromium fonts-liberation)
# Install only when the PATH has no recent java (a stale JAVA_HOME is reported at the end).
java_ok "$(java_bin)" || java_ok "$(command -v java 2>/dev/null || true)" || need+=("$JAVA_PKG")

if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO="sudo"
    else
      echo "setup-system: missing ${need[*]}; install them as root:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
      echo "  (or run: sudo bash scripts/setup-system.sh)" >&2
      exit 1
    fi
  fi
  echo "setup-system: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Slim Debian images lack man1, where the JRE's postinst links java.1 (and then fails).
  $SUDO mkdir -p /usr/share/man/man1
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's postgresql package starts a system cluster; the tests use their own throwaway one.
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
fi

echo "setup-system: PostgreSQL binaries in $(find_pg_bin)"
echo "setup-system: Chromium at $(chromium_bin)"
if java_ok "$(java_bin)"; then
  echo "setup-system: Java $(java_major "$(java_bin)") at $(java_bin)"
else
  found=$(java_major "$(java_bin)")
  echo "setup-system: Java ${found:-?} at $(java_bin)${JAVA_HOME:+ (from JAVA_HOME)}, Spark needs ${JAVA_MIN}+:" >&2
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "  unset JAVA_HOME, or point it at a Java ${JAVA_MIN} (e.g. /usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture 2>/dev/null || echo amd64))" >&2
  else
    echo "  sudo update-alternatives --config java   (choose Java ${JAVA_MIN} or newer)" >&2
  fi
  exit 1
fi
