"""``python -m leapocr``: the `leapocr` command."""

import sys

from leapocr._cli import main

if __name__ == "__main__":
    sys.exit(main())
