; The Windows installer of 三社联动申报系统 (NSIS 3, built on Linux by scripts/build_windows.sh with makensis).
;
;   makensis -DVERSION=0.1.0 -DBUNDLE=<dist/windows/三社联动申报系统> -DOUTFILE=<setup.exe> -DSIZE_KB=<n> \
;            -DICON=<resources/icon.ico> [-DOCR=<the OCR add-on folder> -DOCR_SIZE_KB=<n>] installer.nsi
;
; * For all users (administrator, Program Files) or only for the current user (no administrator rights,
;   %LOCALAPPDATA%\Programs): a page asks; silently `/S /CurrentUser` or `/S /AllUsers`, `/D=<folder>` last.
; * Components: the program (always) and, when built with -DOCR, “扫描件识别（OCR）组件” (the folder ocr beside
;   the program: scripts/build_ocr_addon.sh). Checked by default: it travels inside this installer anyway, so
;   leaving it out saves only disk space (~90 MB), while a county that left it out by mistake would have to
;   run the installer again before it can read a scanned form. A silent install (/S) installs it too.
; * Start-menu and desktop shortcuts; the .sanlian file type opens in the program (the import preview).
; * Programs and Features shows the name, version and publisher; the uninstaller removes only the program
;   files it installed: the data folder (%APPDATA%\...\三社联动申报系统, or data\ beside the program in
;   portable use) is never deleted.
Unicode true
; 64-bit installer: the program is 64-bit only, and Wine (wine64) runs it without 32-bit support.
Target amd64-unicode
SetCompressor /SOLID lzma
SetCompressorDictSize 64
RequestExecutionLevel user

!ifndef VERSION
  !error "VERSION missing: makensis -DVERSION=x.y.z"
!endif
!ifndef BUNDLE
  !error "BUNDLE missing: the one-folder Windows bundle"
!endif
!ifndef OUTFILE
  !define OUTFILE "sanlian-desktop-${VERSION}-setup.exe"
!endif
!ifndef SIZE_KB
  !define SIZE_KB 0
!endif

!define APPNAME "三社联动申报系统"
!define EXE "三社联动申报系统.exe"
!define PUBLISHER "甘肃省民政厅"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\SanlianDesktop"
!define APPKEY "Software\SanlianDesktop"
!define PROGID "Sanlian.Package"

Name "${APPNAME}"
OutFile "${OUTFILE}"
BrandingText "${APPNAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "FileDescription" "${APPNAME} 安装程序"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${APPNAME}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${APPKEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${APPKEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!include MultiUser.nsh
!include MUI2.nsh
!include x64.nsh

!ifndef ICON
  !define ICON "..\..\resources\icon.ico"
!endif
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "立即运行${APPNAME}"

!insertmacro MULTIUSER_PAGE_INSTALLMODE
!ifdef OCR
  !insertmacro MUI_PAGE_COMPONENTS
!endif
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APPNAME}需要 64 位的 Windows 10（1809 或更新版本）或 Windows 11。" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

Section "${APPNAME}" SecProgram
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; A previous version's program files go first (never data\ of a portable copy, never the user's data); so
  ; does its OCR add-on, which must match the program: the component below puts this version's back.
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\ocr"
  File /r "${BUNDLE}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Shortcuts: for all users or for this user, as MultiUser chose (SetShellVarContext).
  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APPNAME}\卸载${APPNAME}.lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  ; The .sanlian file type (HKLM or HKCU Software\Classes, as MultiUser chose).
  WriteRegStr SHCTX "Software\Classes\.sanlian" "" "${PROGID}"
  WriteRegStr SHCTX "Software\Classes\.sanlian" "Content Type" "application/x-sanlian-package"
  WriteRegStr SHCTX "Software\Classes\${PROGID}" "" "三社联动数据包"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\${EXE},0"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'

  ; Programs and Features.
  WriteRegStr SHCTX "${APPKEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${APPKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTKEY}" "EstimatedSize" ${SIZE_KB}
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoRepair" 1
SectionEnd

!ifdef OCR
Section "扫描件识别（OCR）组件" SecOcr
  SetOutPath "$INSTDIR\ocr"
  File /r "${OCR}\*"
  SetOutPath "$INSTDIR"
  ; Programs and Features: the program and the add-on.
  IntOp $0 ${SIZE_KB} + ${OCR_SIZE_KB}
  WriteRegDWORD SHCTX "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

LangString DESC_SecProgram ${LANG_SIMPCHINESE} "${APPNAME}本身（必需）。"
LangString DESC_SecOcr ${LANG_SIMPCHINESE} "从扫描件、照片或扫描的 PDF 读取本程序打印的申报表（代录时使用），并提供相似申报（疑似抄袭）提示所需的计算组件，约 90 MB；不装它其他功能照常使用。"
!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecProgram} $(DESC_SecProgram)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecOcr} $(DESC_SecOcr)
!insertmacro MUI_FUNCTION_DESCRIPTION_END
!endif

Section "uninstall"
  ; Only what the installer put there. data\ (portable use) and the per-user data folder stay.
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\ocr"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\sanlian.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk"
  Delete "$SMPROGRAMS\${APPNAME}\卸载${APPNAME}.lnk"
  RMDir "$SMPROGRAMS\${APPNAME}"
  Delete "$DESKTOP\${APPNAME}.lnk"

  ReadRegStr $0 SHCTX "Software\Classes\.sanlian" ""
  StrCmp $0 "${PROGID}" 0 +2
    DeleteRegKey SHCTX "Software\Classes\.sanlian"
  DeleteRegKey SHCTX "Software\Classes\${PROGID}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
  DeleteRegKey SHCTX "${UNINSTKEY}"
  DeleteRegKey SHCTX "${APPKEY}"
SectionEnd
