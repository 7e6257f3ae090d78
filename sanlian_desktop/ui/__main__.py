"""``python -m sanlian_desktop.ui`` runs the desktop program."""

import sys

from sanlian_desktop.ui.app import main

sys.exit(main())
