"""What every offline adapter shares: the work is done on this machine, so a submission is
finished at once (the rendering happens in `collect`) and nothing is charged."""

from __future__ import annotations

from typing import Any

from core.ports import PollResult, PredictionState


class FinishedOnSubmit:
    name = "local"
    paid = False  # nothing to lose twice: the engine may simply redo an interrupted call

    def poll(self, request_id: str) -> PollResult:
        return PollResult(state=PredictionState.DONE, output={"request_id": request_id}, progress=1.0, poll_after_s=0.0)

    def cost_usd(self, request: Any, output: Any) -> float:
        return 0.0
