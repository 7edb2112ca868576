#!/usr/bin/env bash
# Installs the Debian packages care-pipeline needs and the machine lacks: a Java runtime
# and Maven for the local Kafka broker, kcat for interoperability tests, Prometheus (with
# promtool) to scrape workers and check the alerting rules. Safe to rerun.
set -euo pipefail

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
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]}; install them with your package manager" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
