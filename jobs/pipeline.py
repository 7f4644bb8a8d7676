"""Pipeline definitions: named steps plus what to do when a job ends.

A step is a function `run(ctx) -> dict | None`. The dict is the step's output, stored
in its step row and readable by later steps as `ctx.output_of(name)`. A step that has
nothing to do returns `ctx.skipped()`. A step waits on a provider through
`ctx.call_provider(...)`, which may pause the job (see `jobs.engine`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.adapters.db.models.jobs import Job
    from core.domain.types import ErrorInfo
    from core.ports_services import Services
    from jobs.context import StepContext

StepFn = Callable[["StepContext"], "dict[str, Any] | None"]
# Hooks run inside the transaction that starts or ends the job, so row updates land atomically.
EndHook = Callable[["Services", "Session", "Job", "ErrorInfo | None"], None]


def _nothing(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    return None


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFn
    weight: float = 1.0


@dataclass(frozen=True)
class Pipeline:
    kind: str
    steps: tuple[Step, ...]
    on_completed: EndHook = _nothing
    on_failed: EndHook = _nothing
    on_cancelled: EndHook = _nothing
    on_started: EndHook = _nothing
    # Whether this kind counts against the per-user active-generation limit.
    admission_limited: bool = True
    total_weight: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_weight", sum(s.weight for s in self.steps) or 1.0)

    def progress_before(self, step_name: str) -> float:
        done = 0.0
        for step in self.steps:
            if step.name == step_name:
                break
            done += step.weight
        return done / self.total_weight


_REGISTRY: dict[str, Pipeline] = {}


def register(pipeline: Pipeline) -> Pipeline:
    _REGISTRY[pipeline.kind] = pipeline
    return pipeline


def pipeline_for(kind: str) -> Pipeline:
    if kind not in _REGISTRY:
        import jobs.pipelines  # noqa: F401  (registers every pipeline on first use)
    return _REGISTRY[kind]
