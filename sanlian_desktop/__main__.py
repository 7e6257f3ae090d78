"""``python -m sanlian_desktop`` runs the command line."""

import sys

from sanlian_desktop.cli import main

sys.exit(main())
