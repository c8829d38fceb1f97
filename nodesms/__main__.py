"""``python -m nodesms demo``: the same as the ``nodesms`` command."""

from nodesms.cli import main

raise SystemExit(main())
