"""Every copilot model call, wrapped: the content guard on the creator's words, the spend
backstop before a paid call, and a ledger row for each call that was sent.

A call that was sent is counted even if it then failed or timed out: we cannot know it
was not billed, and a ceiling must err on the side of counting. An answer stream is
counted once, when its request goes out. `AnswerStream` stops between chunks when asked
and always closes the model's stream (and its connection) when it ends, however it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator

from core.adapters.db.models.jobs import CostRecord
from core.errors import StudioError
from core.ports import Copilot, CopilotRequest, EditAnswer, EditRequest, IntentAnswer
from core.ports_services import Services
from core.services.ads import calls
from core.services.safety import content_guard
from core.services.usage import spend

logger = logging.getLogger(__name__)

CAPABILITY = "copilot"


def copilot_for(services: Services, user_id: str) -> Copilot:
    return calls.provider_for(services, CAPABILITY, user_id)


def _before(services: Services, copilot: Copilot, call: str, user_id: str) -> None:
    if copilot.cost_usd(call) > 0:
        spend.before_paid_call(services, owner_id=user_id)


def _ledger(services: Services, copilot: Copilot, call: str, user_id: str) -> None:
    with services.db.session() as session:
        session.add(
            CostRecord(
                owner_id=user_id, provider=copilot.name, capability=CAPABILITY, amount_usd=copilot.cost_usd(call)
            )
        )


def detect_intent(services: Services, request: CopilotRequest, *, user_id: str) -> IntentAnswer:
    content_guard.check_texts(services.settings, message=request.message)
    copilot = copilot_for(services, user_id)
    _before(services, copilot, "intent", user_id)
    try:
        return copilot.detect_intent(request)
    finally:
        _ledger(services, copilot, "intent", user_id)


def propose_edits(services: Services, request: EditRequest, *, user_id: str) -> EditAnswer:
    content_guard.check_texts(services.settings, message=request.instruction)
    copilot = copilot_for(services, user_id)
    _before(services, copilot, "edits", user_id)
    try:
        return copilot.propose_edits(request)
    finally:
        _ledger(services, copilot, "edits", user_id)


Finish = Callable[[str, bool, StudioError | None], None]


class AnswerStream:
    """Chunks of one answer. `stop()` ends it at the next chunk; `finish(text, stopped, error)`
    is called exactly once at the end with what was shown, so the answer can be saved."""

    def __init__(self, start: Callable[[], Generator[str, None, None]], finish: Finish) -> None:
        self._start = start
        self._finish = finish
        self._stop = threading.Event()
        self.text = ""
        self.stopped = False
        self.error: StudioError | None = None
        self._finished = False
        self._saved = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def __iter__(self) -> Iterator[str]:
        return self.chunks()

    def chunks(self) -> Generator[str, None, None]:
        parts: list[str] = []
        source: Generator[str, None, None] | None = None
        complete = False
        try:
            source = self._start()
            for chunk in source:
                if self._stop.is_set():
                    break
                parts.append(chunk)
                yield chunk
                if self._stop.is_set():
                    break
            else:
                complete = True
        except StudioError as exc:
            self.error = exc
            raise
        finally:
            if source is not None:
                source.close()  # stops the model: the adapter closes its stream and connection
            self.text, self.stopped = "".join(parts), not complete and self.error is None
            self._finished = True
            try:
                self._finish(self.text, self.stopped, self.error)
            finally:
                self._saved.set()

    def abandon(self) -> None:
        """Stopped before its first word (a Stop click can land before the stream starts, and a
        generator never started runs no `finally`): saved as a stopped, empty answer all the same.
        Does nothing once the stream has ended."""
        if not self._finished:
            self._finished, self.stopped = True, True
            try:
                self._finish("", True, None)
            finally:
                self._saved.set()

    def wait_saved(self, timeout_s: float) -> bool:
        """Until the answer is saved (by whichever run streamed it), at most `timeout_s`."""
        return self._saved.wait(timeout_s)


def answer_stream(services: Services, request: CopilotRequest, *, user_id: str, finish: Finish) -> AnswerStream:
    """The copilot's streamed answer to a message (CHAT). Guarded and counted when it starts."""
    content_guard.check_texts(services.settings, message=request.message)
    copilot = copilot_for(services, user_id)

    def start() -> Generator[str, None, None]:
        _before(services, copilot, "answer", user_id)
        _ledger(services, copilot, "answer", user_id)
        return copilot.stream_answer(request)

    return AnswerStream(start, finish)


def text_stream(text: str, finish: Finish, *, delay_s: float = 0.0) -> AnswerStream:
    """A reply we wrote ourselves (what is missing, what happened), streamed like a model's."""

    def words() -> Generator[str, None, None]:
        for index, word in enumerate(text.split(" ")):
            if delay_s and index:
                time.sleep(delay_s)
            yield word if index == 0 else " " + word

    return AnswerStream(words, finish)
