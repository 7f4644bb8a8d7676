"""Task references by dotted path, so core never imports `jobs` (which depends on core)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

ADVANCE_JOB = "jobs.tasks.advance_job"
SWEEP = "jobs.tasks.sweep"


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)
