#!/usr/bin/env bash
# Wrap the one-folder bundle (dist/三社联动申报系统, from `make bundle`) into a .deb with dpkg-deb only.
# Installs under /opt/sanlian, a desktop entry, the icon, the .sanlian MIME type and /usr/bin/sanlian.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME="三社联动申报系统"
BUNDLE="dist/$NAME"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' sanlian_desktop/__init__.py)"
ARCH="$(dpkg --print-architecture)"
OUT="dist/sanlian-desktop_${VERSION}_${ARCH}.deb"
STAGE="build/deb"
[ -x "$BUNDLE/$NAME" ] || { echo "no bundle at $BUNDLE: run 'make bundle' first" >&2; exit 1; }

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/mime/packages" "$STAGE/usr/share/icons/hicolor/256x256/apps" "$STAGE/usr/share/pixmaps"
cp -a "$BUNDLE" "$STAGE/opt/sanlian"
install -m 0644 packaging/linux/sanlian.desktop "$STAGE/usr/share/applications/sanlian.desktop"
install -m 0644 packaging/linux/sanlian-package.xml "$STAGE/usr/share/mime/packages/sanlian.xml"
install -m 0644 resources/icon.png "$STAGE/usr/share/icons/hicolor/256x256/apps/sanlian.png"
install -m 0644 resources/icon.png "$STAGE/usr/share/pixmaps/sanlian.png"
install -m 0755 packaging/linux/sanlian-cli "$STAGE/usr/bin/sanlian"
install -m 0755 packaging/linux/postinst "$STAGE/DEBIAN/postinst"
install -m 0755 packaging/linux/postrm "$STAGE/DEBIAN/postrm"
SIZE_KB="$(du -sk "$STAGE" | cut -f1)"
# The newest glibc symbol any bundled binary asks for: the bundle runs only where libc6 is at least that
# (a Debian 12 build needs 2.36; 统信 UOS 20 / 麒麟 V10 need a glibc 2.28 build: README, "Release builds").
GLIBC="2.28"
if command -v objdump >/dev/null 2>&1; then
  GLIBC="$(find "$STAGE/opt/sanlian" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
    | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
fi
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: sanlian-desktop
Version: $VERSION
Section: misc
Priority: optional
Architecture: $ARCH
Installed-Size: $SIZE_KB
Depends: libc6 (>= $GLIBC), libfontconfig1, libx11-6, libxcb1, libdbus-1-3
Recommends: fonts-wqy-microhei | fonts-noto-cjk, libcups2
Maintainer: 甘肃省民政厅 三社联动申报系统 <noreply@localhost>
Description: 三社联动试点项目申报系统 (offline desktop program)
 Declaring and reviewing Gansu's "three-party linkage" pilot projects
 offline, at community, street, county, city and province offices.
 Packages travel between offices as .sanlian files on USB sticks or e-mail.
CONTROL
mkdir -p dist
rm -f "$OUT"
dpkg-deb --root-owner-group -Zxz -z1 --build "$STAGE" "$OUT" >/dev/null
echo "$OUT"
