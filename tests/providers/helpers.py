"""What the job engine does with a provider, condensed: submit once, poll until settled, collect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.ports import PollResult, PredictionState


def poll_until_settled(provider: Any, request_id: str, *, max_polls: int = 20) -> tuple[PollResult, list[PollResult]]:
    seen: list[PollResult] = []
    for _ in range(max_polls):
        result = provider.poll(request_id)
        seen.append(result)
        if result.state is not PredictionState.PENDING:
            return result, seen
    raise AssertionError(f"still pending after {max_polls} polls: {seen[-1]}")


def run(provider: Any, request: Any, dest_dir: Path) -> tuple[Any, list[PollResult]]:
    submission = provider.submit(request)
    result, seen = poll_until_settled(provider, submission.request_id)
    assert result.state is PredictionState.DONE, result.message
    return provider.collect(request, result, dest_dir), seen


def leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
