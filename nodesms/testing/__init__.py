"""``nodesms.testing``: a faithful Node API v1.8.3 gateway for tests, demos and development.

``FakeGateway`` serves every JSON endpoint of the API on a real socket with Basic auth,
in-memory state, credit accounting by SMS parts, operators by number prefix, packages moving
through their states on a clock the test drives, contacts, groups, blacklist, imports, MO
requests, delivery-report pushes and fault injection. The pytest plugin (entry point
``nodesms``) provides the ``nodesms_gateway``, ``nodesms_gateway_session``, ``nodesms_client``
and ``nodesms_sync_client`` fixtures (see :mod:`nodesms.testing._plugin`);
``python -m nodesms.testing`` serves it standalone.

Documented choices of the simulator:

- Operators by prefix: ``90 53x`` Turkcell, ``90 54x`` Vodafone, ``90 50x`` / ``55x``
  TurkTelekom, ``90 51x`` Netgsm; any other number Turkcell.
- ``/sms/list`` ``status`` (:class:`~nodesms.PackageFilter`): QUEUED = saving / waiting /
  queueing and not scheduled; PROCESSING = sending / sent / partly reported; SCHEDULED = a
  future ``sendingDate`` not started; PERIODIC = has periodic settings; COMPLETED,
  CANCELLED; FAILED = rejected / creation failed / sending failed.
- Date filters compare the package's creation time: ``startDate <= created <
  finishDate + 1 minute`` (the finish minute is included whole).
- Error HTTP statuses: see :mod:`nodesms.testing._errors` (``error_http_status="mapped"``).
- ``/contact/set-blacklist`` with ``returnInvalids``: ``{"status": 1, "invalids": [...]}``.
- Production behaviours (REFERENCE.md, "Observed in production clients"): encodings 0 and 1
  replace what they cannot carry; customIDs may hold ``_``; ``/sms/create-otp`` needs a sender
  in ``otp_senders``; a one-to-many package drops invalid numbers (``{"pkgID", "invalids"}``);
  ``[]`` is an empty body; packages carry ``isScheculed`` and ``isScheduled``; only delivered
  items have a ``deliveryDate``; ``/sms/list-gateway`` answers two routes (normal and OTP).
- Input rules are the client's (:mod:`nodesms._rules`, :func:`nodesms.normalize_number`).
- ``FakeGateway(control=True)`` (on in the standalone server) serves a control API under
  ``/_fake/``: see :mod:`nodesms.testing._control`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodesms._lazy import lazy_attributes

if TYPE_CHECKING:
    from nodesms.testing._errors import ERRORS, GatewayError
    from nodesms.testing._faults import Fault, FaultKind, Faults
    from nodesms.testing._gateway import (
        DEFAULT_OTP_SENDERS,
        DEFAULT_PASSWORD,
        DEFAULT_SENDERS,
        DEFAULT_USERNAME,
        FakeGateway,
    )
    from nodesms.testing._model import Contact, Group, ImportResult, MoRequest, Package, Sender
    from nodesms.testing._push import PushRecord
    from nodesms.testing._server import RecordedRequest, RequestLog

__all__ = [
    "DEFAULT_OTP_SENDERS",
    "DEFAULT_PASSWORD",
    "DEFAULT_SENDERS",
    "DEFAULT_USERNAME",
    "ERRORS",
    "Contact",
    "FakeGateway",
    "Fault",
    "FaultKind",
    "Faults",
    "GatewayError",
    "Group",
    "ImportResult",
    "MoRequest",
    "Package",
    "PushRecord",
    "RecordedRequest",
    "RequestLog",
    "Sender",
]

# Imported on first use: pytest loads this package's plugin in every run, and the gateway
# (aiohttp.web and all) should cost nothing until a test asks for it.
_LAZY = {
    "ERRORS": "._errors",
    "GatewayError": "._errors",
    "Fault": "._faults",
    "FaultKind": "._faults",
    "Faults": "._faults",
    "DEFAULT_OTP_SENDERS": "._gateway",
    "DEFAULT_PASSWORD": "._gateway",
    "DEFAULT_SENDERS": "._gateway",
    "DEFAULT_USERNAME": "._gateway",
    "FakeGateway": "._gateway",
    "Contact": "._model",
    "Group": "._model",
    "ImportResult": "._model",
    "MoRequest": "._model",
    "Package": "._model",
    "Sender": "._model",
    "PushRecord": "._push",
    "RecordedRequest": "._server",
    "RequestLog": "._server",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
