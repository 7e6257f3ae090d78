#!/usr/bin/env bash
# Install the Windows installer silently into a FRESH Wine prefix (per user, no administrator rights),
# check what it registered (the OCR component among the files: a silent install takes it), run the installed
# copy's `--smoke --ocr` (reading a printed form with the add-on) and `sanlian check` with Chinese paths under
# the GBK code page, open a .sanlian file through the file association, uninstall, and check that the
# data folder survived. Prints figures for bench (installer/installed size, cold start) as `figure NAME VALUE`.
#
#   bash scripts/test_windows_installer.sh [dist/sanlian-desktop-<version>-windows-setup.exe]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/wine_env.sh
. scripts/wine_env.sh
NAME="三社联动申报系统"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' sanlian_desktop/__init__.py)"
SETUP="${1:-dist/sanlian-desktop-$VERSION-windows-setup.exe}"
[ -f "$SETUP" ] || { echo "no installer at $SETUP: run 'make windows' first" >&2; exit 1; }
SETUP="$(cd "$(dirname "$SETUP")" && pwd)/$(basename "$SETUP")"
log() { echo "test_windows: $*" >&2; }
since() { python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 2))" "$1"; }
fail() { echo "test_windows: FAILED: $*" >&2; exit 1; }
START=$(date +%s)

WT="$(mktemp -d)"
# Wine links the prefix's Desktop/Documents to $HOME's: keep them inside the throw-away folder.
export HOME="$WT/home" WINEPREFIX="$WT/prefix"
mkdir -p "$HOME"
cleanup() { wineserver -k >/dev/null 2>&1 || true; rm -rf "$WT"; }
trap cleanup EXIT
log "fresh Wine prefix"
wine_prefix_init "$WINEPREFIX"
reg_value() {  # reg_value KEY VALUE -> the data, or nothing (reg.exe answers in the console code page, GBK)
  wrun reg query "$1" /v "$2" 2>/dev/null | iconv -f GBK -t UTF-8 | tr -d '\r' \
    | sed -n "s/^ *$2 *REG_[A-Z_]* *//p" | head -1 || true
}
reg_key() {  # reg_key KEY -> every value of KEY, as UTF-8
  wrun reg query "$1" 2>/dev/null | iconv -f GBK -t UTF-8 | tr -d '\r'
}

# --- silent per-user install ----------------------------------------------------------------------------
log "installing: $(basename "$SETUP") /S /CurrentUser"
T0=$(date +%s)
wrun "$(wpath "$SETUP")" /S /CurrentUser
wineserver -w
echo "figure windows.install_time $(( $(date +%s) - T0 ))"
UNINSTKEY='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\SanlianDesktop'
INST_WIN="$(reg_value "$UNINSTKEY" InstallLocation)"
[ -n "$INST_WIN" ] || fail "no InstallLocation under $UNINSTKEY (was it installed per user?)"
INST="$(winepath -u "$INST_WIN" 2>/dev/null)"
INST="${INST%/}"
[ -f "$INST/$NAME.exe" ] && [ -f "$INST/sanlian.exe" ] || fail "executables missing in $INST"
log "installed in $INST_WIN"
[ "$(reg_value "$UNINSTKEY" DisplayVersion)" = "$VERSION" ] || fail "Programs and Features: DisplayVersion != $VERSION"
[ "$(reg_value "$UNINSTKEY" DisplayName)" = "$NAME" ] || fail "Programs and Features: DisplayName"
reg_key 'HKCU\Software\Classes\.sanlian' | grep -q 'Sanlian.Package' || fail ".sanlian is not associated"
reg_key 'HKCU\Software\Classes\Sanlian.Package\shell\open\command' | grep -qF "$NAME.exe\" \"%1\"" \
  || fail "the open command of Sanlian.Package"
find "$WINEPREFIX/drive_c/users" -path "*Start Menu/Programs/$NAME/$NAME.lnk" | grep -q . || fail "no Start-menu shortcut"
# (Wine may link the prefix's Desktop to a folder of $HOME: test the path, following links)
USERDIR="$WINEPREFIX/drive_c/users/$(id -un)"
[ -e "$USERDIR/Desktop/$NAME.lnk" ] || fail "no desktop shortcut"
[ -z "$(find "$INST" -iname icuuc.dll -o -iname bcryptprimitives.dll)" ] || fail "a Wine stand-in DLL was installed"
[ -f "$INST/ocr/onnxruntime/__init__.py" ] && [ -d "$INST/ocr/rapidocr_onnxruntime/models" ] \
  || fail "the OCR component (checked by default) was not installed in $INST/ocr"
INSTALLED_KB="$(du -sk "$INST" | cut -f1)"
OCR_KB="$(du -sk "$INST/ocr" | cut -f1)"
echo "figure windows.installer_size $(stat -c %s "$SETUP")"
echo "figure windows.installed_size $(( (INSTALLED_KB - OCR_KB) * 1024 ))"
echo "figure windows.installed_size_ocr $(( INSTALLED_KB * 1024 ))"

# --- Chinese paths, GBK console -------------------------------------------------------------------------
DOCS_WIN='C:\用户\文档'
DOCS="$WINEPREFIX/drive_c/用户/文档"
mkdir -p "$DOCS"
ACP="$(wrun reg query 'HKLM\System\CurrentControlSet\Control\Nls\CodePage' /v ACP 2>/dev/null | tr -d '\r' | awk '/ACP/{print $NF}')"
[ "$ACP" = 936 ] || fail "Wine's ANSI code page is $ACP, not 936 (GBK): is the zh_CN.UTF-8 locale installed?"

log "cold start: sanlian.exe --help (first run in this prefix)"
T0=$(date +%s.%N)
wrun "$INST_WIN\\sanlian.exe" --help >"$WT/help.out" 2>&1 || fail "sanlian.exe --help: $(tail -5 "$WT/help.out")"
COLD="$(since "$T0")"
echo "figure windows.cold_start_cli $COLD"

log "sanlian check with a Chinese home folder (output read as GBK)"
set +e
wrun "$INST_WIN\\sanlian.exe" --home "$DOCS_WIN\\无数据" check >"$WT/check.out" 2>&1
code=$?
set -e
iconv -f GBK -t UTF-8 "$WT/check.out" >"$WT/check.txt" || fail "the console output is not GBK: $(head -c 300 "$WT/check.out" | od -c | head -5)"
cat "$WT/check.txt" >&2
[ "$code" = 2 ] || fail "sanlian check in an empty folder answered $code, not 2"
grep -qF '没有找到数据' "$WT/check.txt" || fail "sanlian check: no Chinese message in GBK"
grep -qF '用户\文档\无数据' "$WT/check.txt" || fail "sanlian check: the Chinese path did not survive"

# The user's temporary folder becomes C:\用户\文档 (Wine takes TEMP/TMP from HKCU\Environment).
wrun reg add 'HKCU\Environment' /v TEMP /t REG_SZ /d "$DOCS_WIN" /f >/dev/null
wrun reg add 'HKCU\Environment' /v TMP /t REG_SZ /d "$DOCS_WIN" /f >/dev/null
wineserver -k >/dev/null 2>&1 || true
log "--smoke --ocr from the installed copy, its temporary store under $DOCS_WIN"
T0=$(date +%s.%N)
set +e
QT_QPA_PLATFORM=offscreen wrun "$INST_WIN\\$NAME.exe" --smoke --ocr --keep >"$WT/smoke.out" 2>&1
code=$?
set -e
echo "figure windows.smoke_time $(since "$T0")"
[ "$code" = 0 ] || fail "--smoke exit code $code: $(tail -20 "$WT/smoke.out")"
ls "$DOCS" | grep -q '^sanlian-smoke-' || fail "--smoke did not work under $DOCS_WIN"
SMOKE_DIR="$(ls -d "$DOCS"/sanlian-smoke-* | head -1)"
find "$SMOKE_DIR" -name '*.pdf' | grep -q . || fail "--smoke left no PDF under the Chinese path"
grep -a '^ok   ocr' "$WT/smoke.out" >&2 || fail "--smoke --ocr printed no OCR line"
# With the OCR component (installed by default) near-duplicate screening has its numpy and must compute.
grep -a '^ok   similar .*declarations screened' "$WT/smoke.out" >&2 \
  || fail "near-duplicate screening did not run with the OCR component's numpy: $(grep -a similar "$WT/smoke.out")"
grep -a '^ok   worker' "$WT/smoke.out" >&2 || fail "--smoke printed no line of the import's verifying worker"
log "smoke passed; its store, PDF and workbook were written under $DOCS_WIN, the printed form read back"

# --- a .sanlian package opened through the association -------------------------------------------------------
# Wine 8's ShellExecute (`start`, Explorer) ignores HKCU\Software\Classes, where a per-user install registers
# the type (`assoc .sanlian` answers nothing). So the test does what Explorer does on Windows: it takes the
# registered open command, puts the file in for %1 and runs it; the program must start on that file.
log "opening $DOCS_WIN\\数据包.sanlian with the registered open command"
: >"$DOCS/数据包.sanlian"  # the program starts on it (and then reports it unreadable)
OPEN_CMD="$(reg_key 'HKCU\Software\Classes\Sanlian.Package\shell\open\command' | sed -n 's/^.*REG_SZ *//p' | head -1)"
OPEN_EXE="$(sed -n 's/^"\([^"]*\)" "%1"$/\1/p' <<<"$OPEN_CMD")"
[ -n "$OPEN_EXE" ] || fail "cannot read the open command: $OPEN_CMD"
QT_QPA_PLATFORM=offscreen SANLIAN_HOME="$DOCS_WIN\\关联测试" wrun "$OPEN_EXE" "$DOCS_WIN\\数据包.sanlian" \
  >"$WT/open.out" 2>&1 &
OPEN_PID=$!
opened=""
for _ in $(seq 1 60); do
  sleep 2
  if ps -eo args | grep -F "$NAME.exe" | grep -qF '数据包.sanlian'; then opened=1; break; fi
done
[ -n "$opened" ] || fail "the registered open command did not start $NAME.exe on the package"
sleep 5
ps -eo args | grep -F "$NAME.exe" | grep -qF '数据包.sanlian' || fail "$NAME.exe stopped at once on the package"
log "the open command started $NAME.exe on 数据包.sanlian"
wineserver -k >/dev/null 2>&1 || true
wait "$OPEN_PID" 2>/dev/null || true

# --- uninstall: program gone, data kept ----------------------------------------------------------------------
DATA="$USERDIR/AppData/Local/sanlian"
mkdir -p "$DATA" "$INST/data"
echo keep >"$DATA/keep.txt"
echo keep >"$INST/data/keep.txt"
log "uninstalling"
wrun "$INST_WIN\\uninstall.exe" /S /CurrentUser
sleep 3
wineserver -w
[ ! -e "$INST/$NAME.exe" ] && [ ! -e "$INST/_internal" ] && [ ! -e "$INST/ocr" ] && [ ! -e "$INST/uninstall.exe" ] \
  || fail "program files left after uninstall"
[ -f "$DATA/keep.txt" ] || fail "the uninstaller deleted the data folder"
[ -f "$INST/data/keep.txt" ] || fail "the uninstaller deleted the portable data folder"
wrun reg query "$UNINSTKEY" >/dev/null 2>&1 && fail "still in Programs and Features"
wrun reg query 'HKCU\Software\Classes\Sanlian.Package' >/dev/null 2>&1 && fail "the file type is still registered"
[ -e "$USERDIR/Desktop/$NAME.lnk" ] && fail "desktop shortcut left after uninstall"
find -L "$WINEPREFIX/drive_c/users" -name "$NAME.lnk" 2>/dev/null | grep -q . && fail "shortcuts left after uninstall"
log "passed in $(( $(date +%s) - START )) s"
