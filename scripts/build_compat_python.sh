#!/usr/bin/env bash
# Build CPython 3.11 that runs on glibc >= 2.28 (统信 UOS 20, 麒麟 V10) from Debian 12's own source package,
# compiled by `zig cc -target x86_64-linux-gnu.2.28` (PyPI `ziglang`), with zlib, bzip2, xz, libffi and
# SQLite (Debian's sources too) linked in statically. `make bundle-compat` makes its venv from it.
#
# Everything lands in a cache folder outside the clone, ${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}:
#   tools/zigenv/            a venv holding ziglang
#   src/                     Debian source packages (apt-get source --download-only)
#   compat-python/cp311-KEY/ the installed interpreter; KEY hashes this script, zig's version and the
#                            Debian source versions, so a finished build is reused and any change rebuilds.
# Prints the interpreter's path as its last line. Needs scripts/build-deps.sh (deb-src line, dpkg-dev,
# patchelf). Nothing here is downloaded when the program runs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}"
ZIG_VERSION="0.17.1"
GLIBC_TARGET="2.28"
JOBS="${JOBS:-2}"
SOURCES="python3.11 zlib bzip2 xz-utils libffi sqlite3"
log() { echo "build_compat_python: $*" >&"${LOGFD:-2}"; }

mkdir -p "$CACHE/tools" "$CACHE/src" "$CACHE/compat-python"

# --- zig from PyPI ----------------------------------------------------------------------------------
ZIGENV="$CACHE/tools/zigenv"
if ! "$ZIGENV/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  log "installing ziglang $ZIG_VERSION"
  python3 -m venv "$ZIGENV"
  "$ZIGENV/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIG_VERSION"
fi
ZIG="$("$ZIGENV/bin/python" -c 'import ziglang, pathlib; print(pathlib.Path(ziglang.__file__).parent / "zig")')"
[ "${1:-}" = "--zig-only" ] && { echo "$ZIG"; exit 0; }  # scripts/wine_env.sh needs only the compiler

# --- Debian sources: the newest version the mirror actually serves ------------------------------------
# (the security mirror may list a version it does not serve; then the next older one is taken)
fetch_source() {
  local pkg="$1" version dsc
  for version in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -urV); do
    dsc="$CACHE/src/${pkg}_${version#*:}.dsc"
    if [ ! -f "$dsc" ]; then
      (cd "$CACHE/src" && apt-get source --download-only "$pkg=$version" >/dev/null 2>&1) || true
    fi
    [ -f "$dsc" ] && { echo "$dsc"; return 0; }
  done
  log "cannot fetch the Debian source of $pkg (is a deb-src line configured? run scripts/build-deps.sh)"
  return 1
}
declare -A DSC
for pkg in $SOURCES; do DSC[$pkg]="$(fetch_source "$pkg")"; done

KEY="$( { cat "$0"; echo "zig $ZIG_VERSION glibc $GLIBC_TARGET"; for pkg in $SOURCES; do basename "${DSC[$pkg]}"; done; } \
  | sha256sum | cut -c1-16)"
PREFIX="$CACHE/compat-python/cp311-$KEY"
if [ -x "$PREFIX/bin/python3.11" ] && [ -f "$PREFIX/.complete" ]; then
  log "cached: $PREFIX"
  echo "$PREFIX/bin/python3.11"
  exit 0
fi

WORK="$CACHE/work-$KEY"
rm -rf "$WORK" "$PREFIX"
mkdir -p "$WORK/bin" "$WORK/deps"
DEPS="$WORK/deps"
START=$(date +%s)

# --- the compiler: zig cc for glibc 2.28 ---------------------------------------------------------------
# zig's linker wants -soname where CPython's Makefile passes -h.
cat > "$WORK/bin/zcc" <<WRAP
#!/usr/bin/env bash
args=()
for a in "\$@"; do
  case "\$a" in
    -Wl,-h) args+=("-Wl,-soname");;
    -Wl,-h*) args+=("-Wl,-soname,\${a#-Wl,-h}");;
    *) args+=("\$a");;
  esac
done
exec "$ZIG" cc -target x86_64-linux-gnu.$GLIBC_TARGET "\${args[@]}"
WRAP
chmod +x "$WORK/bin/zcc"
export CC="$WORK/bin/zcc" AR=ar RANLIB=ranlib
export ZIG_GLOBAL_CACHE_DIR="$CACHE/zig-cache" ZIG_LOCAL_CACHE_DIR="$WORK/zig-local"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C TZ=UTC
# Nothing from the build machine's pkg-config may leak in (its libraries need its newer glibc).
export PKG_CONFIG_PATH="$DEPS/lib/pkgconfig" PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig"
BASE_CFLAGS="-O2 -fPIC -fno-sanitize=undefined -Wno-error=date-time"

unpack() {  # unpack <pkg> <dir>: Debian's source with Debian's patches applied by dpkg-source
  dpkg-source -x "${DSC[$1]}" "$WORK/$2" >/dev/null 2>&1
}

exec 3>&2 2>"$WORK/deps.log"; LOGFD=3  # the libraries' compiler warnings go to a log
log "zlib";   unpack zlib zlib
(cd "$WORK/zlib" && CFLAGS="$BASE_CFLAGS" ./configure --static --prefix="$DEPS" >/dev/null \
  && make -j"$JOBS" libz.a >/dev/null && make install >/dev/null)

log "bzip2";  unpack bzip2 bzip2
(cd "$WORK/bzip2" && make -j"$JOBS" libbz2.a CC="$CC" AR=ar RANLIB=ranlib CFLAGS="$BASE_CFLAGS -D_FILE_OFFSET_BITS=64" >/dev/null \
  && install -m644 bzlib.h "$DEPS/include/" && install -m644 libbz2.a "$DEPS/lib/")

log "xz";     unpack xz-utils xz
(cd "$WORK/xz" && CFLAGS="$BASE_CFLAGS" ./configure --prefix="$DEPS" --disable-shared --enable-static --with-pic \
  --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts \
  --disable-doc --disable-nls >/dev/null && make -j"$JOBS" >/dev/null && make install >/dev/null)

log "libffi"; unpack libffi libffi
(cd "$WORK/libffi" && CFLAGS="$BASE_CFLAGS" ./configure --prefix="$DEPS" --libdir="$DEPS/lib" --disable-shared \
  --enable-static --with-pic --disable-exec-static-tramp --disable-docs --disable-multi-os-directory >/dev/null \
  && make -j"$JOBS" >/dev/null && make install >/dev/null)

log "sqlite"; unpack sqlite3 sqlite
(cd "$WORK/sqlite" && CFLAGS="$BASE_CFLAGS -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE \
  -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_SECURE_DELETE -DSQLITE_MAX_VARIABLE_NUMBER=250000" \
  ./configure --prefix="$DEPS" --disable-shared --enable-static --with-pic --disable-tcl --disable-readline \
  --disable-editline --enable-threadsafe BCC=gcc >/dev/null \
  && make -j"$JOBS" libsqlite3.la >/dev/null && make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA >/dev/null 2>&1 \
  || { mkdir -p "$DEPS/include" "$DEPS/lib"; cp sqlite3.h sqlite3ext.h "$DEPS/include/"; cp .libs/libsqlite3.a "$DEPS/lib/"; })
rm -f "$DEPS"/lib/*.so* "$DEPS"/lib/*.la
exec 2>&3 3>&-; LOGFD=2

# --- CPython --------------------------------------------------------------------------------------------
log "python: unpacking"
PYSRC="$WORK/python"
dpkg-source --skip-patches -x "${DSC[python3.11]}" "$PYSRC" >/dev/null 2>&1
# Debian's fixes (security and crash fixes); not its file-layout patches (multiarch, dist-packages,
# disabled ensurepip, ...), which would make a relocatable interpreter impossible.
applied=0 skipped=""
while read -r patch; do
  case "$patch" in
    CVE-*|000[0-9]-3.11-*|relfile-*|frame_dealloc-*|shutdown-deadlock*) ;;
    *) continue;;
  esac
  if (cd "$PYSRC" && patch -p1 -s -f --dry-run <"debian/patches/$patch" >/dev/null 2>&1); then
    (cd "$PYSRC" && patch -p1 -s -f <"debian/patches/$patch" >/dev/null)
    applied=$((applied + 1))
  else
    skipped="$skipped $patch"
  fi
done < <(grep -v '^#' "$PYSRC/debian/patches/series" | sed 's/[[:space:]].*//;/^$/d')
log "python: $applied Debian patches applied; not applying:${skipped:- none}"
echo "applied=$applied skipped=${skipped:- none}" >"$WORK/patches.txt"

# setup.py must not look in the build machine's /usr/include, /usr/lib or multiarch folders.
python3 - "$PYSRC/setup.py" <<'PYEDIT'
import sys, pathlib
p = pathlib.Path(sys.argv[1])
s = p.read_text()
for old, new in [
    ("        self.add_multiarch_paths()\n", "        pass  # compat build: no host multiarch paths\n"),
    ("            add_dir_to_list(self.compiler.library_dirs, '/usr/local/lib')\n", "            pass\n"),
    ("            add_dir_to_list(self.compiler.include_dirs, '/usr/local/include')\n", "            pass\n"),
    ("        system_lib_dirs = ['/lib64', '/usr/lib64', '/lib', '/usr/lib']\n", "        system_lib_dirs = []\n"),
    ("        system_include_dirs = ['/usr/include']\n", "        system_include_dirs = []\n"),
]:
    assert old in s, old
    s = s.replace(old, new)
p.write_text(s)
PYEDIT
# libpython3.so is linked from libpython3.11.so alone; zig's linker wants at least one object file.
sed -i 's|-o \$@ -Wl,-h\$@ \$^$|-o $@ -Wl,-soname,$@ $^ Modules/compat_empty.o|' "$PYSRC/Makefile.pre.in"
grep -q 'compat_empty.o' "$PYSRC/Makefile.pre.in"
echo 'int _sanlian_compat_empty;' >"$PYSRC/Modules/compat_empty.c"
# With Debian's expat fixes pyexpat.c includes internal headers; setup.py builds it without the define.
sed -i '1i #ifndef Py_BUILD_CORE_MODULE\n#  define Py_BUILD_CORE_MODULE 1\n#endif' "$PYSRC/Modules/pyexpat.c"

log "python: configure"
(cd "$PYSRC" && "$CC" $BASE_CFLAGS -c Modules/compat_empty.c -o Modules/compat_empty.o \
  && ./configure --prefix="$PREFIX" --enable-shared --with-ensurepip=no --without-static-libpython \
    CFLAGS="$BASE_CFLAGS" CPPFLAGS="-I$DEPS/include" LDFLAGS="-L$DEPS/lib" \
    LIBFFI_CFLAGS="-I$DEPS/include" LIBFFI_LIBS="-L$DEPS/lib -lffi" \
    LIBSQLITE3_CFLAGS="-I$DEPS/include" LIBSQLITE3_LIBS="-L$DEPS/lib -lsqlite3 -lm -lpthread" \
    ZLIB_CFLAGS="-I$DEPS/include" ZLIB_LIBS="-L$DEPS/lib -lz" \
    BZIP2_CFLAGS="-I$DEPS/include" BZIP2_LIBS="-L$DEPS/lib -lbz2" \
    LIBLZMA_CFLAGS="-I$DEPS/include" LIBLZMA_LIBS="-L$DEPS/lib -llzma" \
    >"$WORK/configure.log" 2>&1) || { tail -30 "$WORK/configure.log" >&2; exit 1; }
log "python: make (a few minutes)"
(cd "$PYSRC" && make -j"$JOBS" >"$WORK/make.log" 2>&1 && make install >"$WORK/install.log" 2>&1) \
  || { tail -40 "$WORK/make.log" "$WORK/install.log" >&2 2>/dev/null; exit 1; }

# The modules this program needs must all be there.
for mod in _sqlite3 _ctypes zlib bz2 lzma pyexpat _decimal _hashlib; do
  [ "$mod" = _hashlib ] && continue  # no OpenSSL: hashlib uses its built-in digests
  LD_LIBRARY_PATH="$PREFIX/lib" "$PREFIX/bin/python3.11" -c "import $mod" \
    || { log "module $mod missing"; grep -A20 'Failed to build\|following modules' "$WORK/make.log" >&2; exit 1; }
done
# Relocatable: libpython and the extension modules are found relative to the executable.
patchelf --set-rpath '$ORIGIN/../lib' "$PREFIX/bin/python3.11"
cp "$WORK/patches.txt" "$PREFIX/debian-patches.txt"
{ echo "key=$KEY"; for pkg in $SOURCES; do basename "${DSC[$pkg]}"; done; echo "zig=$ZIG_VERSION glibc=$GLIBC_TARGET"; } \
  >"$PREFIX/build-info.txt"
"$PREFIX/bin/python3.11" "$HERE/check_glibc.py" --quiet "$PREFIX" || { log "the interpreter needs a newer glibc"; exit 1; }
touch "$PREFIX/.complete"
rm -rf "$WORK"
log "built $PREFIX in $(( $(date +%s) - START )) s"
echo "$PREFIX/bin/python3.11"
