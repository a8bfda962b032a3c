"""``python -m curriculum``: the command line."""

import sys

from curriculum.cli import main

sys.exit(main())
