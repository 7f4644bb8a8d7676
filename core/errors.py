"""One hierarchy of errors a creator can act on.

Every error carries a stable `code` and a plain-words `message`; `to_info()` gives the
`{code, message, details?}` envelope that pages render and job rows store.
"""

from __future__ import annotations

from typing import Any

from core.domain.types import ErrorInfo


class StudioError(Exception):
    code = "studio_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_info(self) -> ErrorInfo:
        return ErrorInfo(code=self.code, message=self.message, details=self.details)


class ValidationError(StudioError):
    """The input cannot be used as given; nothing was stored."""

    code = "invalid_input"


class MediaRejected(ValidationError):
    """An uploaded or downloaded file is not the media it claims to be, or is too big."""

    code = "media_rejected"


class NotFound(StudioError):
    """The thing does not exist, or the caller may not see it (we do not say which)."""

    code = "not_found"


class PermissionDenied(StudioError):
    code = "permission_denied"


class QuotaExceeded(StudioError):
    code = "quota_exceeded"


class ContentBlocked(StudioError):
    code = "content_blocked"


class ProviderError(StudioError):
    """A provider refused or failed the work for a reason that retrying will not fix."""

    code = "provider_failed"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        merged = {"provider": provider, **({"status_code": status_code} if status_code else {})}
        super().__init__(message, details={**merged, **(details or {})})
        self.provider = provider
        self.status_code = status_code


class TransientError(ProviderError):
    """Rate limits, 5xx, timeouts, dropped connections: worth retrying after a pause."""

    code = "provider_unavailable"

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class AnswerLost(TransientError):
    """The request reached the provider but its answer did not come back (a read timeout, a
    reset after sending, a 500/502/504). Repeating a read is fine; repeating a paid submit
    may pay twice, so the paid path treats this as "the provider may have started it"."""

    code = "provider_answer_lost"


class PaidCallUncertain(ProviderError):
    """A paid call may have been started by the provider and nothing could confirm it.

    The step stops; only the creator's explicit retry (which may charge again) resubmits."""

    code = "provider_may_have_started"


class ProviderTimeout(ProviderError):
    """A provider kept the work past our bound; the step fails rather than wait forever."""

    code = "provider_timeout"


class JobCancelled(StudioError):
    code = "cancelled"


class ConfigurationError(StudioError):
    code = "configuration_error"
