"""The bundle's entry point: the desktop program, its command line, or the ``--smoke`` self-test.

* ``三社联动申报系统 [--home DIR] [FILE.sanlian]`` starts the desktop program (``sanlian_desktop.ui.app``);
  a ``.sanlian`` path is passed through for the GUI to open in the import preview.
* ``三社联动申报系统 --smoke`` checks the bundle end to end in a temporary store (exit 0 when it works);
  ``--smoke --ocr`` also demands the OCR add-on (the folder ``ocr`` beside it) and reads a printed form.
* ``sanlian ...`` (the console executable beside it), or ``三社联动申报系统 --cli ...``, runs the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

CLI_NAMES = {"sanlian", "sanlian-cli"}


def main() -> int:
    """Choose the mode from the executable's name and the first argument."""
    if not getattr(sys, "frozen", False):
        # Run from a checkout: this checkout's package, not an installed one.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    else:
        # The OCR add-on (the folder ``ocr`` beside the executable), when installed.
        from sanlian_desktop.paperread.addon import activate

        activate()
    argv = sys.argv[1:]
    if Path(sys.argv[0]).stem.lower() in CLI_NAMES or argv[:1] == ["--cli"]:
        from sanlian_desktop.app import cli_main

        return cli_main(argv[1:] if argv[:1] == ["--cli"] else argv)
    if argv[:1] == ["--smoke"]:
        from sanlian_desktop.smoke import run

        return run(keep="--keep" in argv, ocr="--ocr" in argv)
    from sanlian_desktop.app import gui_main

    return gui_main(argv)


if __name__ == "__main__":
    # A process the program starts (an import's verifying worker, sync/trust/ahead.py) is this executable
    # again in the bundle: it runs the worker and ends here instead of opening a second program.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
