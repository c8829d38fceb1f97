"""The API areas: one resource class per ``/{area}``."""

from .contact import ContactResource
from .mo import MoResource
from .sms import SmsResource
from .user import UserResource

__all__ = ["ContactResource", "MoResource", "SmsResource", "UserResource"]
