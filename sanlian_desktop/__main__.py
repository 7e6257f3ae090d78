"""``python -m sanlian_desktop`` runs the command line."""

import sys

from sanlian_desktop.app import cli_main

sys.exit(cli_main())
