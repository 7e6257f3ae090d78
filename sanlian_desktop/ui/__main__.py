"""``python -m sanlian_desktop.ui`` runs the desktop program."""

import sys

from sanlian_desktop.app import gui_main

sys.exit(gui_main())
