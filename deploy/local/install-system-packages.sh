#!/usr/bin/env bash
# Installs the Debian packages care-pipeline needs and the machine lacks: a Java runtime
# and Maven for the local Kafka broker, kcat for interoperability tests, Prometheus (with
# promtool) to scrape workers and check the alerting rules, and a Java 21+ for the local
# schema registry (Apicurio Registry) unless one is already in /usr/lib/jvm. Safe to rerun.
set -euo pipefail

REGISTRY_JAVA=21

declare -A package_of=(
  [java]=openjdk-17-jre-headless
  [mvn]=maven
  [kcat]=kcat
  [prometheus]=prometheus
  [promtool]=prometheus
)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${package_of[$command]}")
done

# The feature release of a java executable: from its home's release file, else -version.
java_major() {
  local release version
  release="$(dirname "$(dirname "$(readlink -f "$1")")")/release"
  version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$release" 2>/dev/null || true)
  [ -n "$version" ] || version=$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)
  version=${version#1.}
  echo "${version%%[!0-9]*}"
}

has_registry_java() {
  local java major
  for java in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$java" ] && [ -x "$java" ] || continue
    major=$(java_major "$java")
    [ "${major:-0}" -ge "$REGISTRY_JAVA" ] && return 0
  done
  return 1
}

need_registry_java=false
has_registry_java || need_registry_java=true
[ ${#missing[@]} -eq 0 ] && [ "$need_registry_java" = false ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
if ! command -v apt-get >/dev/null 2>&1; then
  [ "$need_registry_java" = true ] && missing+=("a Java $REGISTRY_JAVA+ runtime")
  echo "missing: ${missing[*]}; install them with your package manager" >&2
  exit 1
fi
"${sudo[@]}" apt-get update -qq
if [ "$need_registry_java" = true ]; then
  for package in openjdk-25-jre-headless openjdk-21-jre-headless; do
    if apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      missing+=("$package")
      need_registry_java=false
      break
    fi
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
if [ "$need_registry_java" = true ]; then
  echo "missing: a Java $REGISTRY_JAVA+ runtime for the local schema registry (Apicurio Registry):" \
    "none in \$JAVA_HOME, on PATH or in /usr/lib/jvm, and this machine's Debian has no" \
    "openjdk-21/25 package; install a JDK $REGISTRY_JAVA+ under /usr/lib/jvm" >&2
  exit 1
fi
