"""The ``nodesms`` command for operators.

``nodesms credit | send | otp | packages | items | export | senders | contacts import |
blacklist add/remove | campaign run | gateway | demo``, configured by ``NODESMS_*`` or
``--base-url`` / ``--username`` (the password from ``$NODESMS_PASSWORD`` or a prompt, never a
flag). Tables for people, ``--json`` / ``--csv`` for scripts; a failure is one line on stderr
and a non-zero exit status (``--debug`` shows the traceback).
"""

from ._app import main

__all__ = ["main"]
