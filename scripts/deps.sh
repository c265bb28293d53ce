#!/usr/bin/env bash
# Installs what liaison needs to build, test and run, from Debian 12 packages only.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      openssl libssl-dev libevent-dev libcurl4-openssl-dev libsqlite3-dev
      libjansson-dev libinih-dev libcmocka-dev libpq-dev postgresql
      xz-utils curl ca-certificates procps python3
      chromium chromium-driver python3-selenium)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
