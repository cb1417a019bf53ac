"""`python -m htmhw.cli`: the same as the `htmhw` command."""
import sys

from htmhw.cli import main

sys.exit(main())
