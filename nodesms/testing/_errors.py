"""The gateway's error table and the exception the simulated handlers raise.

Real deployments put the symbolic name (``ERR_…``) in ``err.code``; the numbered codes
(``SMSnn``) only appear in the vendor document. :data:`ERRORS` keeps both, the gateway's own
(Turkish) text, and the HTTP status used when the gateway runs with
``error_http_status="mapped"``:

========================================================  ======
errors                                                    HTTP
========================================================  ======
ERR_UNAUTHORIZED_REQUEST                                   401
SMS01 (not authorised)                                     403
SMS03, 06, 10, 14, 16, 17, 19, 26, 30, ERR_NOT_FOUND       404
SMS02, 04, 07, 09, 11–13, 20–25, 27, 29, 32, 33, 42,
ERR_SMS_PKG_DUPLICATION                                    409
SMS18, SMS28 (credit)                                      417
SMS50, ERR_CONCURRENT_REQUEST_LIMIT, ERR_DAILY_…_LIMIT     429
SMS99 (maintenance)                                        503
ERR_INTERNAL_SERVER, ERR_SMS_PKG_CREATING_FAILED           500
everything else (SMS00, ERR_INVALID_PARAM, SMS08, …)       400
========================================================  ======

The envelope's ``err.status`` always carries that mapped status, whatever the HTTP status.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ERRORS", "ErrorSpec", "GatewayError", "lookup"]


class ErrorSpec(NamedTuple):
    """One row of the error table."""

    code: str | None
    """The numbered code (``"SMS18"``), ``None`` for names the document does not number."""
    name: str
    """The symbolic name sent on the wire (``"ERR_USER_CREDIT_REQUIRED"``)."""
    message: str
    """The gateway's text (Turkish, as the vendor document words it)."""
    http_status: int
    """The HTTP status in ``"mapped"`` mode; also the envelope's ``err.status``."""


_ROWS: tuple[tuple[str | None, str, str, int], ...] = (
    ("SMS00", "ERR_BAD_REQUEST", "Hatalı istek, gereken şartlar yerine getirilmemiş.", 400),
    ("SMS01", "ERR_USER_NOT_AUTHORIZED", "Kullanıcının bu işlemi yapmaya yetkisi yok.", 403),
    ("SMS02", "ERR_BLACKLIST_RECORD_ALREADY_EXISTS", "Bu kayıt global karalistede zaten var.", 409),
    ("SMS03", "ERR_PARENT_USER_NOT_FOUND", "Üst kullanıcı bulunamadı.", 404),
    ("SMS04", "ERR_USER_ALREADY_EXISTS", "Bu kullanıcı adına sahip bir kullanıcı zaten var.", 409),
    ("SMS05", "ERR_INVALID_PRICING_PLAN", "Fiyat planı geçersiz.", 400),
    ("SMS06", "ERR_SMS_PKG_NOT_FOUND", "Sms paketi mevcut değil.", 404),
    ("SMS07", "ERR_SMS_PKG_NOT_CHANGEABLE", "Sms durumu değiştirilebilir pozisyonda değil.", 409),
    (
        "SMS08",
        "ERR_INVALID_SMS_SENDING_DATE",
        "Sms gönderim tarihi geçersiz ya da mevcut zamandan daha eski.",
        400,
    ),
    ("SMS09", "ERR_CONTACT_GROUP_ALREADY_EXISTS", "Bu bilgilerde bir rehber grubu zaten var.", 409),
    ("SMS10", "ERR_PARENT_CONTACT_GROUP_NOT_FOUND", "Rehber grubu mevcut değil.", 404),
    (
        "SMS11",
        "ERR_PARENT_CONTACT_GROUP_NOT_EMPTY",
        "Hedef rehber grubu üst grup olamaz, bir içeriğe sahip.",
        409,
    ),
    ("SMS12", "ERR_CONTACT_ALREADY_EXISTS", "Bu gsm numarasıyla kayıtlı bir kişi zaten var.", 409),
    (
        "SMS13",
        "ERR_CONTACT_IMPORT_EXISTS",
        "Henüz işleme alınmamış bir rehber içe aktarım talebi zaten var.",
        409,
    ),
    ("SMS14", "ERR_FILE_NOT_FOUND", "Dosya bulunamadı.", 404),
    (
        "SMS15",
        "ERR_CONTACT_IMPORT_FAILED",
        "Rehberde kişileri içeri aktarma işlemi başarısız.",
        400,
    ),
    ("SMS16", "ERR_USER_NOT_FOUND", "Kullanıcı bulunamadı.", 404),
    ("SMS17", "ERR_CREDIT_PLAN_NOT_FOUND", "Kredi planı mevcut değil.", 404),
    ("SMS18", "ERR_USER_CREDIT_REQUIRED", "Kullanıcı yeterli krediye sahip değil.", 417),
    ("SMS19", "ERR_PROMOTION_NOT_FOUND", "Promosyon mevcut değil.", 404),
    ("SMS20", "ERR_ALLOWANCE_ALREADY_EXISTS", "Hakediş daha önce zaten oluşturulmuş.", 409),
    ("SMS21", "ERR_ALLOWANCE_NOT_PERMITTED", "Hakedişi oluşturmak için şartlar mevcut değil.", 409),
    (
        "SMS22",
        "ERR_ALLOWANCE_NOT_APPLICABLE",
        "Hedef kullanıcıya hakediş uygulanabilir değil.",
        409,
    ),
    ("SMS23", "ERR_SPAM_FILTER_ALREADY_EXISTS", "Sms spam filtresi zaten mevcut.", 409),
    ("SMS24", "ERR_MO_ALREADY_EXISTS", "MO kısa numara tanımı zaten mevcut.", 409),
    ("SMS25", "ERR_MO_KEYWORD_ALREADY_EXISTS", "MO anahtar kelime tanımı zaten mevcut.", 409),
    ("SMS26", "ERR_MO_NOT_FOUND", "MO kısa numara mevcut değil.", 404),
    ("SMS27", "ERR_SENDER_ALREADY_EXISTS", "Sms gönderim başlığı zaten mevcut.", 409),
    ("SMS28", "ERR_PARENT_USER_CREDIT_REQUIRED", "Üst kullanıcı kredisi yetersiz.", 417),
    ("SMS29", "ERR_USER_CREDIT_DECREASING_LIMITED", "Kullanıcı kredisini azaltma sınırlı.", 409),
    ("SMS30", "ERR_USER_IYS_SETTINGS_NOT_FOUND", "Kullanıcı IYS tanımları mevcut değil.", 404),
    ("SMS31", "ERR_INVALID_DATE_RANGE", "Geçersiz tarih aralığı.", 400),
    ("SMS32", "ERR_API_USER_ALREADY_EXISTS", "Aynı adda bir API kullanıcısı zaten var.", 409),
    (
        "SMS33",
        "ERR_CREDIT_PLAN_UNIT_PRICE_LIMIT",
        "Tanımlanan birim fiyat, atanmış birim fiyattan az olamaz.",
        409,
    ),
    (
        "SMS42",
        "ERR_SMS_PKG_CUSTOM_ID_DUPLICATION",
        "Belirtilen özel id ile oluşturulmuş bir sms paketi zaten mevcut.",
        409,
    ),
    (
        "SMS44",
        "ERR_SMS_SENDING_TIME_LIMIT",
        "SMS gönderimi için saat kısıtı konfigüre edilmiş.",
        400,
    ),
    (
        "SMS48",
        "ERR_REQUEST_PARAM_LIMIT",
        "Parametrelerden birindeki öğe sayısı izin verilen değerin üzerinde.",
        400,
    ),
    (
        "SMS50",
        "ERR_MULTI_REQUEST_NOT_PERMITTED",
        "İlgili fonksiyon için eş zamanlı isteğe izin verilmiyor.",
        429,
    ),
    ("SMS99", "ERR_SYSTEM_MAINTENANCE", "Sistem bakım modunda, daha sonra tekrar deneyin.", 503),
    # Names seen from real deployments that the document does not number.
    (None, "ERR_UNAUTHORIZED_REQUEST", "Yetkisiz istek.", 401),
    (None, "ERR_INVALID_PARAM", "Geçersiz parametre.", 400),
    (None, "ERR_INVALID_SMS_SENDER", "Geçersiz gönderici başlığı.", 400),
    (None, "ERR_EMPTY_SMS_PACKAGE", "Sms paketi boş.", 400),
    (None, "ERR_USER_BRAND_CODE_NOT_FOUND", "Kullanıcı marka kodu bulunamadı.", 404),
    (None, "ERR_SMS_PKG_CREATING_FAILED", "Sms paketi oluşturulamadı.", 500),
    (None, "ERR_NOT_FOUND", "Bulunamadı.", 404),
    (None, "ERR_INTERNAL_SERVER", "Sunucu hatası.", 500),
    (None, "ERR_CONCURRENT_REQUEST_LIMIT", "Eş zamanlı istek sınırı aşıldı.", 429),
    (None, "ERR_DAILY_REQUEST_LIMIT", "Günlük istek sınırı aşıldı.", 429),
    (
        None,
        "ERR_SMS_PKG_DUPLICATION",
        "Aynı içerik aynı numaralara kısa süre önce gönderildi.",
        409,
    ),
)

ERRORS: dict[str, ErrorSpec] = {row[1]: ErrorSpec(*row) for row in _ROWS}
"""The error table, keyed by symbolic name."""

_BY_CODE: dict[str, ErrorSpec] = {spec.code: spec for spec in ERRORS.values() if spec.code}


def lookup(code_or_name: str) -> ErrorSpec:
    """The table row for ``"SMS18"`` or ``"ERR_USER_CREDIT_REQUIRED"``.

    An unknown ``ERR_…`` name gets a generic row (HTTP 400) so tests can inject codes the
    table does not know; anything else raises :class:`KeyError`.
    """
    key = code_or_name.strip()
    spec = ERRORS.get(key.upper()) or _BY_CODE.get(key.upper())
    if spec is not None:
        return spec
    if key.upper().startswith("ERR_"):
        return ErrorSpec(None, key.upper(), "Hata.", 400)
    raise KeyError(f"unknown gateway error code {code_or_name!r}")


class GatewayError(Exception):
    """Raised by an operation handler: the gateway answers with this error envelope.

    Args:
        code: the numbered code or the symbolic name (see :func:`lookup`).
        detail: appended to the table's text, e.g. the offending field.
    """

    def __init__(self, code: str, detail: str | None = None) -> None:
        self.spec = lookup(code)
        self.detail = detail
        super().__init__(f"{self.spec.name}: {self.message}")

    @property
    def name(self) -> str:
        """The symbolic name sent as ``err.code``."""
        return self.spec.name

    @property
    def message(self) -> str:
        """The text sent as ``err.message``."""
        return f"{self.spec.message} ({self.detail})" if self.detail else self.spec.message
