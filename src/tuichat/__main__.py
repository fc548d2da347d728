"""`python -m tuichat`."""

import sys

from tuichat.cli import main

sys.exit(main())
