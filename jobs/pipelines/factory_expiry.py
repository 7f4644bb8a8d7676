"""The sweeper's hook for the variant factory: expired batches lose their files (and only those)."""

from __future__ import annotations

import logging

from core.ports_services import Services
from core.services.variant_factory.handoff import expire_batches

logger = logging.getLogger(__name__)


def expire_variant_batches(services: Services) -> int:
    try:
        return expire_batches(services)
    except Exception:  # a storage hiccup must not stop the sweeper resuming jobs
        logger.warning("expiring variant batches failed", exc_info=True)
        return 0
