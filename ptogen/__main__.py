"""`python -m ptogen`: the `ptogen` command."""

import sys

from ptogen.cli import main

sys.exit(main())
