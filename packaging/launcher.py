"""Entry script for the PyInstaller bundle: ``designer.cli.main`` behind ``freeze_support``.

The app runs torch work in worker processes started with multiprocessing's ``spawn``; in a
frozen app each worker is the bundle's own executable started again with multiprocessing's
arguments, and ``freeze_support`` turns that start into the worker instead of a second app.
"""

import multiprocessing
import sys

from designer.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
