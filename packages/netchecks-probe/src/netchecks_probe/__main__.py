"""``python -m netchecks_probe`` runs the ``netchecks`` command."""

import sys

from netchecks_probe.cli import main

sys.exit(main())
