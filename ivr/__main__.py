"""`python -m ivr ...` is the `ivr` command (ivr_cli, beside the packages); an executable entry point, which no
module imports."""

import sys

from ivr_cli import main

sys.exit(main())
