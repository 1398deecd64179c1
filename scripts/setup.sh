#!/usr/bin/env bash
# Installs everything Facelet needs to build and test on a fresh Debian 12 machine:
# the C libraries (Debian packages) and the Python packages the test helpers use as
# independent references. Safe to run again: it only installs what is missing.
set -euo pipefail

apt_packages=(libsqlite3-dev libopenblas-dev libpng-dev libturbojpeg0-dev libssl-dev
              libcurl4-openssl-dev libmicrohttpd-dev libzip-dev pkg-config)
pip_packages=(numpy safetensors pillow cryptography)

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import numpy, safetensors, PIL, cryptography" 2>/dev/null; then
    echo "setup: installing Python packages for the test references: ${pip_packages[*]}" >&2
    python3 -m pip install -q --disable-pip-version-check "${pip_packages[@]}"
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected /opt/swift)" >&2; exit 1; }
