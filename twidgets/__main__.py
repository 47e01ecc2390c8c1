"""``python -m twidgets ...``: the same command line as the ``twidgets`` script."""

from .cli import main

raise SystemExit(main())
