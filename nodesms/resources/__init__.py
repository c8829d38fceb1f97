"""The API areas: one resource class per ``/{area}``."""

from .sms import SmsResource
from .user import UserResource

__all__ = ["SmsResource", "UserResource"]
