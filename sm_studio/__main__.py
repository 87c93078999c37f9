"""``python -m sm_studio`` is the ``sm-studio`` command."""

import sys

from .cli import main

sys.exit(main())
