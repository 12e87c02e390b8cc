#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those that are missing.
# Usage: scripts/ensure-system.sh run|test|bench|cluster
set -euo pipefail
case "${1:-run}" in
  run)   packages=(pkg-config libopenblas-dev libpoppler-glib-dev zlib1g-dev curl librabbitmq-dev) ;;
  test)  packages=(pkg-config libopenblas-dev libpoppler-glib-dev zlib1g-dev curl postgresql chromium chromium-driver iproute2 redis-server openssl nginx prometheus librabbitmq-dev rabbitmq-server) ;;
  cluster) packages=(pkg-config libopenblas-dev libpoppler-glib-dev zlib1g-dev curl librabbitmq-dev postgresql redis-server openssl nginx) ;;
  bench) packages=(pkg-config libopenblas-dev libpoppler-glib-dev zlib1g-dev curl librabbitmq-dev wrk iproute2) ;;
  *) echo "usage: $0 run|test|bench|cluster" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
