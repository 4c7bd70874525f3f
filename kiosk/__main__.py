"""`python -m kiosk` is the same as the `kiosk` command."""

import sys

from kiosk.app.cli import main

sys.exit(main())
