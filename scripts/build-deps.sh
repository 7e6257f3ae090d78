#!/usr/bin/env bash
# Debian packages the release builds need on a fresh Debian 12 machine (on top of scripts/system-deps.sh):
#   both:                python3-venv, python3-pip (the ziglang venv, pip download for other platforms);
#   compat Linux bundle: dpkg-dev (apt-get source), patchelf, binutils (objdump), make, gcc, patch, tcl
#                        (SQLite makes its amalgamation with tclsh), xz-utils,
#                        and a deb-src line so `apt-get source python3.11` finds Debian's source package;
#   Windows installer:   wine64 (PyInstaller inside Wine), nsis (makensis), unzip, locales (zh_CN.UTF-8
#                        so Wine's console uses the GBK code page).
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
PKGS="python3-venv python3-pip dpkg-dev patchelf binutils make gcc patch tcl xz-utils unzip wine64 wine nsis locales xvfb xauth"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

SRC_LIST=/etc/apt/sources.list.d/sanlian-deb-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  $SUDO tee "$SRC_LIST" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
  for attempt in 1 2 3; do
    $SUDO apt-get update -qq >/dev/null && break
    sleep 5
  done
fi
if [ -n "$missing" ]; then
  echo "Installing Debian packages:$missing"
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# A Chinese locale on the host: Wine takes its code page (GBK = 936) from LANG.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN.utf8$'; then
  $SUDO localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
fi
