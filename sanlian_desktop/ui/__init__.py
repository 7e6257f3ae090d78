"""The desktop program's widgets: one package per feature.

Importing any widget module imports this package first, so the binding work-around in
:mod:`sanlian_desktop.ui.qtfix` is in place before the first Qt call.
"""

from sanlian_desktop.ui.qtfix import protect_singletons

protect_singletons()
