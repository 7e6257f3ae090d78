"""Windows that fit the screen: a size no larger than the room left by the taskbar, and the size and place
the user gave a window last time, restored only while it still fits.

Office PCs run 1366×768 and old 4:3 1024×768 screens with a Windows taskbar, so a window may use about
1366×705 or 1024×728 (``QScreen.availableGeometry``), its title bar and borders included. Every window
and dialog is placed with :func:`place_window`::

    place_window(self, "review", QSize(1100, 800), settings)

Tests replace :func:`available_geometry` to play a smaller screen offscreen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# A window's title bar and borders (Windows 10 at 100 %), outside the size Qt lays out; used before the
# window manager has told the real ones.
FRAME = QMargins(8, 31, 8, 8)
KEY = "windows/{0}"


def available_geometry(widget: QWidget | None = None) -> QRect:
    """The part of ``widget``'s screen (else the primary screen) not taken by the taskbar."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 728)


def frame_of(widget: QWidget) -> QMargins:
    """The real title bar and borders once the window is shown with them, else :data:`FRAME`."""
    frame, inner = widget.frameGeometry(), widget.geometry()
    if widget.isVisible() and frame != inner:
        return QMargins(inner.left() - frame.left(), inner.top() - frame.top(),
                        frame.right() - inner.right(), frame.bottom() - inner.bottom())
    return FRAME


def room(widget: QWidget | None = None) -> QRect:
    """Where a window's inside may go on ``widget``'s screen: the available area less the frame."""
    frame = frame_of(widget) if widget is not None else FRAME
    return available_geometry(widget).marginsRemoved(frame)


def fits(rect: QRect, widget: QWidget | None = None) -> bool:
    """Whether a window whose inside is ``rect`` lies wholly on ``widget``'s screen, frame included."""
    return room(widget).contains(rect)


def fit_size(wanted: QSize, widget: QWidget | None = None) -> QSize:
    """``wanted``, made smaller where the screen is smaller (never below the window's minimum)."""
    space = room(widget).size()
    size = wanted.boundedTo(space)
    if widget is not None:
        size = size.expandedTo(widget.minimumSize())
    return size


def centred(size: QSize, widget: QWidget | None = None) -> QRect:
    """A rectangle of ``size`` in the middle of the room on the screen."""
    space = room(widget)
    top_left = QPoint(space.left() + max(0, (space.width() - size.width()) // 2),
                      space.top() + max(0, (space.height() - size.height()) // 2))
    return QRect(top_left, size)


class _Keeper(QObject):
    """Writes its window's geometry to the settings when the window is hidden or closed.

    It holds no Python reference to the window (the window is its Qt parent): a reference cycle through
    a window could be collected on a worker thread, and a window must die on the GUI thread."""

    def __init__(self, window: QWidget, key: str, settings: QSettings) -> None:
        super().__init__(window)
        self.key, self.settings = key, settings
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QWidget) and watched is self.parent() \
                and event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
            save_geometry(watched, self.key, self.settings)
        return False


def save_geometry(window: QWidget, key: str, settings: QSettings) -> None:
    """Remember ``window``'s normal (not maximised) size and place, and whether it was maximised."""
    rect = window.normalGeometry() if window.isMaximized() else window.geometry()
    if rect.isValid():
        settings.setValue(KEY.format(key), [rect.x(), rect.y(), rect.width(), rect.height()])
        settings.setValue(KEY.format(key) + "_maximized", window.isMaximized())


def saved_geometry(key: str, settings: QSettings) -> QRect | None:
    """The rectangle remembered for ``key``, or None."""
    value = settings.value(KEY.format(key))
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    try:
        x, y, w, h = (int(v) for v in value)
    except (TypeError, ValueError):
        return None
    rect = QRect(x, y, w, h)
    return rect if rect.isValid() else None


def was_maximized(key: str, settings: QSettings) -> bool:
    return str(settings.value(KEY.format(key) + "_maximized", "false")).lower() == "true"


def place_window(window: QWidget, key: str, wanted: QSize, settings: QSettings | None = None, *,
                 centre: bool = False) -> bool:
    """Give ``window`` the size and place it had last time if that still fits the screen, else ``wanted``
    made to fit (centred on the screen with ``centre``; a dialog is otherwise centred on its parent by Qt).
    Its geometry is remembered under ``key`` whenever it is hidden or closed. True when restored."""
    settings = settings if settings is not None else QSettings()
    _Keeper(window, key, settings)
    saved = saved_geometry(key, settings)
    if saved is not None and fits(saved, window) and saved.width() >= window.minimumWidth() \
            and saved.height() >= window.minimumHeight():
        window.setGeometry(saved)
        return True
    size = fit_size(wanted, window)
    window.resize(size)
    if centre:
        window.move(centred(size, window).topLeft())
    return False
