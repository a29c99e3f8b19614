"""``python -m srcgrad``: the same command as the ``srcgrad`` console script."""
import sys

from .cli import main

sys.exit(main())
