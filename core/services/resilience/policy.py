"""When a failed step may move to the next provider of its chain (issue 18).

Only for a provider reason: an outage or refusal to take the work (503, 429, no connection),
an unusable key, an account out of credits, an unknown or retired model. Never for a
content or input refusal (the next model would refuse it too, or worse, accept what the
first rightly refused), and never when the provider may have started the work: a lost
answer (`AnswerLost`, `PaidCallUncertain`) or a prediction past our wait bound.
"""

from __future__ import annotations

from core.errors import AnswerLost, PaidCallUncertain, ProviderError, ProviderTimeout, TransientError

# 401/403: the key is refused; 402: out of credits; 404: the model is unknown or retired;
# 5xx other than a lost answer (Google documents its 500 as "nothing was done").
_PROVIDER_STATUSES = frozenset({401, 402, 403, 404})


def is_provider_reason(exc: BaseException) -> bool:
    if isinstance(exc, (AnswerLost, PaidCallUncertain, ProviderTimeout)):
        return False
    if isinstance(exc, TransientError):
        return True
    if not isinstance(exc, ProviderError) or exc.status_code is None:
        return False
    return exc.status_code in _PROVIDER_STATUSES or exc.status_code >= 500


def needs_budget(exc: BaseException) -> bool:
    """A refused request is retried at the same provider a few times before moving on;
    a dead key, no credits or a missing model will not get better by retrying."""
    return isinstance(exc, TransientError)
