"""`python -m culturewatch.cli`: the `culturewatch` command."""

import sys

from culturewatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
