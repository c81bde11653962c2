"""``python -m r2kmon``: the same as the ``r2kmon`` command."""

import sys

from r2kmon.cli import main

sys.exit(main())
