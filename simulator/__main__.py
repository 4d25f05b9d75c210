"""``python -m simulator`` is ``tcpsim``."""

from .cli import main

raise SystemExit(main())
