"""``python -m negsim`` = the ``negsim`` command."""

from negsim.cli import main

raise SystemExit(main())
