# Sourced by scripts/build_windows.sh and scripts/test_windows_installer.sh: Wine settings shared by both.
#   wine_prefix_init PREFIX   create a Wine prefix (64-bit) with the build/test-only stand-in DLLs
#   wpath UNIXPATH            the Windows (Z:\...) path of a Unix path
# Stand-ins (packaging/windows/standins): Wine 8 lacks ICU's ucnv_* (icuuc.dll, for Qt6Core) and ProcessPrng
# (bcryptprimitives.dll, for Rust's std in cryptography) that every Windows 10/11 has. They go into the
# prefix's system32 only, never into the bundle or the installer.
CACHE="${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}"
export SANLIAN_BUILD_CACHE="$CACHE"  # the test moves HOME into a throw-away folder
WINE="${WINE:-wine}"
export WINEDEBUG="${WINEDEBUG:--all}" WINEARCH=win64
# No Mono/Gecko download prompts: the program needs neither .NET nor a browser engine.
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe="
# A Chinese host locale: Wine's ANSI/OEM code page becomes 936 (GBK), like a Chinese Windows.
export LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8

# Under Wine 8, CPython fails to start ("init_sys_streams ... WinError 6") when a standard handle is
# /dev/null or a regular file; pipes work. So every handle is a pipe (the exit code is Wine's: pipefail).
wrun() { true | "$WINE" "$@" 2> >(cat >&2) | cat; }

wpath() { WINEPREFIX="${WINEPREFIX:?}" winepath -w "$1" 2>/dev/null; }

standin_dlls() {  # builds the stand-in DLLs once (cached by source hash); prints their folder
  local src key out zig
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/packaging/windows/standins"
  key="$(cat "$src"/*.c | sha256sum | cut -c1-12)"
  out="$CACHE/win/standins-$key"
  if [ ! -f "$out/bcryptprimitives.dll" ]; then
    bash "$(dirname "${BASH_SOURCE[0]}")/build_compat_python.sh" --zig-only >/dev/null
    zig="$("$CACHE/tools/zigenv/bin/python" -c 'import ziglang, pathlib; print(pathlib.Path(ziglang.__file__).parent / "zig")')"
    mkdir -p "$out"
    "$zig" cc -target x86_64-windows-gnu -shared -O2 -o "$out/icuuc.dll" "$src/icuuc.c"
    "$zig" cc -target x86_64-windows-gnu -shared -O2 -o "$out/bcryptprimitives.dll" "$src/bcryptprimitives.c" -lbcrypt
    rm -f "$out"/*.lib "$out"/*.pdb
  fi
  echo "$out"
}

wine_prefix_init() {  # wine_prefix_init PREFIX
  local prefix="$1" dlls
  dlls="$(standin_dlls)"
  if [ ! -f "$prefix/system.reg" ]; then
    mkdir -p "$prefix"
    WINEPREFIX="$prefix" "$WINE" wineboot --init >/dev/null 2>&1 || true
    WINEPREFIX="$prefix" wineserver -w
  fi
  cp "$dlls/icuuc.dll" "$dlls/bcryptprimitives.dll" "$prefix/drive_c/windows/system32/"
}
