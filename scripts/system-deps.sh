#!/usr/bin/env bash
# Installs the Debian packages that the tests, screenshots and the program need on Linux:
# a TrueType CJK font (for Qt and for embedding in printed PDFs), poppler-utils (PDF to PNG),
# Xvfb (a virtual screen for screenshots), the X/EGL libraries that Qt's wheels link against,
# SoftHSM2 (a software PKCS#11 token the key-custody tests keep an office key in) and the
# PostgreSQL server (the tests start a throw-away cluster of their own to run the store on it too).
# Safe to run repeatedly: it installs only what is missing, and only where apt-get can.
set -u
PKGS="fonts-wqy-microhei fontconfig poppler-utils xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 \
libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 \
libfontconfig1 libdbus-1-3 libglib2.0-0 softhsm2 postgresql"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian system; please install a TrueType CJK font and poppler yourself:$missing" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
echo "Installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  $SUDO apt-get update -qq >/dev/null 2>&1 && \
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 && exit 0
  sleep 5
done
echo "warning: could not install:$missing" >&2
exit 0
