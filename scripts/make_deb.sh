#!/usr/bin/env bash
# Wrap the one-folder bundle (dist/三社联动申报系统, from `make bundle`) into a .deb with dpkg-deb only.
# Installs under /opt/sanlian, a desktop entry, the icon, the .sanlian MIME type and /usr/bin/sanlian.
# With the OCR add-on built (dist/ocr-addon/ocr, by `make bundle-compat`: scripts/build_ocr_addon.sh), a
# second package too: sanlian-desktop-ocr_<version>_<arch>.deb installs it as /opt/sanlian/ocr and depends
# on the same version of sanlian-desktop. Prints the add-on's package (if made), then the program's.
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
# (a `make bundle` on Debian 12 needs 2.34+; `make bundle-compat`, the shipped one, needs at most 2.28).
GLIBC="2.28"
if command -v objdump >/dev/null 2>&1; then
  GLIBC="$(find "$STAGE/opt/sanlian" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
    | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
fi
# The libraries the bundle takes from the desktop (build.spec's SYSTEM_ONLY), with the oldest versions
# the targets have: 统信 UOS 20 (Debian 10 based: gcc 8, glib 2.58, fontconfig 2.13.1, freetype 2.9.1,
# xkbcommon 0.8.2, libxcb 1.13) and 麒麟 V10 (Ubuntu 20.04 based). Debian 10 names libgcc "libgcc1".
DEPENDS="libc6 (>= $GLIBC), libstdc++6 (>= 8), libgcc-s1 | libgcc1, zlib1g (>= 1:1.2.11), libzstd1 (>= 1.3.8),
 libexpat1 (>= 2.2.6), libfontconfig1 (>= 2.13), libfreetype6 (>= 2.9.1), libpng16-16 (>= 1.6.36),
 libglib2.0-0 (>= 2.58), libdbus-1-3, libgssapi-krb5-2, libx11-6 (>= 2:1.6.7), libx11-xcb1 (>= 2:1.6.7),
 libxcb1 (>= 1.13), libxcb-cursor0, libxcb-glx0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0,
 libxcb-render-util0, libxcb-render0, libxcb-shape0, libxcb-shm0, libxcb-sync1, libxcb-util1, libxcb-xfixes0,
 libxcb-xkb1, libxkbcommon0 (>= 0.8.2), libxkbcommon-x11-0 (>= 0.8.2), libgl1 | libgl1-mesa-glx, libegl1 | libegl1-mesa"
RECOMMENDS="fonts-wqy-microhei | fonts-noto-cjk, libcups2"
DEPENDS="$(echo "$DEPENDS" | tr -d '\n' | tr -s ' ')"
# Every library the bundle loads from the system (a DT_NEEDED no bundled file provides) must come from a
# package named above; on this (Debian) build machine dpkg knows which package that is.
if command -v objdump >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
  bundled="$(find "$STAGE/opt/sanlian" -name '*.so*' -printf '%f\n' | sort -u)"
  unnamed=""
  for lib in $(find "$STAGE/opt/sanlian" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
      | xargs -0 objdump -p 2>/dev/null | awk '/^ *NEEDED/{print $2}' | sort -u); do
    grep -qxF "$lib" <<<"$bundled" && continue
    pkg="$(dpkg -S "*/$lib" 2>/dev/null | head -1 | cut -d: -f1)"
    [ -z "$pkg" ] && continue
    case " $(echo "$DEPENDS, $RECOMMENDS" | tr -d ',|()<>=') " in *" $pkg "*) ;; *) unnamed="$unnamed $lib($pkg)";; esac
  done
  [ -z "$unnamed" ] || { echo "make_deb: the bundle needs system libraries the .deb does not name:$unnamed" >&2; exit 1; }
fi
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: sanlian-desktop
Version: $VERSION
Section: misc
Priority: optional
Architecture: $ARCH
Installed-Size: $SIZE_KB
Depends: $DEPENDS
Recommends: $RECOMMENDS
Maintainer: 甘肃省民政厅 三社联动申报系统 <noreply@localhost>
Description: 三社联动试点项目申报系统 (offline desktop program)
 Declaring and reviewing Gansu's "three-party linkage" pilot projects
 offline, at community, street, county, city and province offices.
 Packages travel between offices as .sanlian files on USB sticks or e-mail.
CONTROL
mkdir -p dist
rm -f "$OUT"
dpkg-deb --root-owner-group -Zxz -z1 --build "$STAGE" "$OUT" >/dev/null

# --- the OCR add-on ------------------------------------------------------------------------------------------
ADDON="dist/ocr-addon/ocr"
OCR_OUT="dist/sanlian-desktop-ocr_${VERSION}_${ARCH}.deb"
rm -f "$OCR_OUT"
if [ -d "$ADDON" ]; then
  OCR_STAGE="build/deb-ocr"
  rm -rf "$OCR_STAGE"
  mkdir -p "$OCR_STAGE/DEBIAN" "$OCR_STAGE/opt/sanlian"
  cp -a "$ADDON" "$OCR_STAGE/opt/sanlian/ocr"
  # onnxruntime's and pyclipper's extensions need only the C and C++ runtimes (scripts/build_ocr_addon.sh
  # checks glibc <= 2.28 and GLIBCXX <= 3.4.25).
  cat > "$OCR_STAGE/DEBIAN/control" <<CONTROL
Package: sanlian-desktop-ocr
Version: $VERSION
Section: misc
Priority: optional
Architecture: $ARCH
Installed-Size: $(du -sk "$OCR_STAGE" | cut -f1)
Depends: sanlian-desktop (= $VERSION), libc6 (>= 2.28), libstdc++6 (>= 8), libgcc-s1 | libgcc1
Maintainer: 甘肃省民政厅 三社联动申报系统 <noreply@localhost>
Description: 三社联动申报系统 扫描件识别（OCR）组件 (OCR add-on)
 Reads printed, filled-in declaration forms (scans, phone photos, PDFs of
 scans) back into the form: onnxruntime, pyclipper and the PP-OCR models,
 in /opt/sanlian/ocr beside the program. Works offline.
CONTROL
  dpkg-deb --root-owner-group -Zxz -z1 --build "$OCR_STAGE" "$OCR_OUT" >/dev/null
  echo "$OCR_OUT"
fi
echo "$OUT"
