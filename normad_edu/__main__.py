"""``python -m normad_edu``: the ``normad-edu`` command line."""

import sys

from .cli.main import main

sys.exit(main())
