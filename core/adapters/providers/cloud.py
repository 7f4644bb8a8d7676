"""Builders for the cloud adapters, keyed by (capability, vendor). Filled in as adapters land."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BUILDERS: dict[tuple[str, str], Callable[[Any, Any], tuple[Any, str]]] = {}
