"""``python3 -m qnt``: see qnt.cli."""

import sys

from .cli import main

sys.exit(main())
