"""Where a package or a certificate file can be written: USB sticks first, then the last folder used."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings

from sanlian_desktop.ui import files
from sanlian_desktop.ui.files import KEY

SYNC_KIND = "sync"
LAST_FOLDER_KEY = KEY.format(SYNC_KIND)  # shared with ui.files: every sync file dialog starts here
DRIVE_REMOVABLE = 2  # GetDriveTypeW


@dataclass(frozen=True)
class Destination:
    """A folder to offer: what the list shows and where it is."""

    label: str
    path: Path
    removable: bool


def _tr(text: str) -> str:
    return QCoreApplication.translate("drives", text)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return os.environ.get("USER", "")


def linux_mount_bases(user: str | None = None) -> list[Path]:
    """The folders desktop Linux mounts USB sticks under, most specific first."""
    user = _user() if user is None else user
    bases = [Path("/media") / user, Path("/run/media") / user] if user else []
    return [*bases, Path("/media")]


def mounted_under(bases: Iterable[Path], is_mount: Callable[[Path], bool] | None = None) -> list[Path]:
    """Writable mount points directly inside ``bases`` (each listed once)."""
    check = is_mount or os.path.ismount
    found: list[Path] = []
    for base in bases:
        try:
            children = sorted(base.iterdir())
        except OSError:
            continue
        for child in children:
            if child in found or not child.is_dir() or not check(child) or not os.access(child, os.W_OK):
                continue
            found.append(child)
    return found


def _windows_volumes() -> list[tuple[Path, str, bool]]:
    """(root, name, removable) of every ready, writable volume that is not the system drive."""
    import ctypes

    from PySide6.QtCore import QStorageInfo

    system = os.environ.get("SYSTEMDRIVE", "C:").rstrip("\\/").upper()
    volumes = []
    for volume in QStorageInfo.mountedVolumes():
        if not volume.isValid() or not volume.isReady() or volume.isReadOnly():
            continue
        root = volume.rootPath()
        if root.rstrip("\\/").upper() == system:
            continue
        kind = ctypes.windll.kernel32.GetDriveTypeW(root.replace("/", "\\"))  # type: ignore[attr-defined]
        volumes.append((Path(root), volume.displayName() or root, kind == DRIVE_REMOVABLE))
    volumes.sort(key=lambda v: (not v[2], str(v[0])))
    return volumes


def removable_drives() -> list[Destination]:
    """USB sticks and other drives that are not the system drive, removable ones first."""
    if sys.platform == "win32":
        return [Destination(_tr("U 盘 {0}（{1}）").format(name, root) if removable
                            else _tr("磁盘 {0}（{1}）").format(name, root), root, removable)
                for root, name, removable in _windows_volumes()]
    bases = [Path("/Volumes")] if sys.platform == "darwin" else linux_mount_bases()
    return [Destination(_tr("U 盘 {0}（{1}）").format(p.name, p), p, True) for p in mounted_under(bases)]


def destinations(settings: QSettings) -> list[Destination]:
    """Removable drives, then the last folder used (if it still exists), then the home folder."""
    found = removable_drives()
    last = str(settings.value(LAST_FOLDER_KEY, "") or "")
    paths = {d.path for d in found}
    if last and Path(last).is_dir() and Path(last) not in paths:
        found.append(Destination(_tr("上次的位置（{0}）").format(last), Path(last), False))
        paths.add(Path(last))
    home = Path.home()
    if home not in paths:
        found.append(Destination(_tr("我的文件夹（{0}）").format(home), home, False))
    return found


def remember_folder(settings: QSettings, folder: Path) -> None:
    """The folder offered first next time (after any USB stick)."""
    settings.setValue(LAST_FOLDER_KEY, str(folder))


def last_folder(settings: QSettings) -> Path:
    """The last folder used, or Documents."""
    return files.last_folder(settings, SYNC_KIND)
