"""An answer stream saves what was shown exactly once: at its end, on a stop, or when a stop
landed before its first word."""

from __future__ import annotations

from collections.abc import Generator

from core.services.copilot.calls import AnswerStream


def _words() -> Generator[str, None, None]:
    yield from ("one ", "two ", "three")


def _stream() -> tuple[AnswerStream, list[tuple[str, bool, object]]]:
    saved: list[tuple[str, bool, object]] = []
    return AnswerStream(_words, lambda text, stopped, error: saved.append((text, stopped, error))), saved


def test_a_stop_before_the_first_word_still_saves_a_stopped_answer() -> None:
    stream, saved = _stream()
    chunks = stream.chunks()
    chunks.close()  # never started: a generator's `finally` does not run
    assert saved == []
    stream.abandon()
    stream.abandon()
    assert saved == [("", True, None)]


def test_an_answer_read_to_the_end_is_saved_once_and_abandon_then_does_nothing() -> None:
    stream, saved = _stream()
    assert "".join(stream.chunks()) == "one two three"
    stream.abandon()
    assert saved == [("one two three", False, None)]


def test_a_stop_mid_answer_saves_what_was_shown() -> None:
    stream, saved = _stream()
    chunks = stream.chunks()
    assert next(chunks) == "one "
    chunks.close()
    stream.abandon()
    assert saved == [("one ", True, None)]


def test_another_run_can_wait_until_the_stopped_answer_is_saved() -> None:
    """A Stop click reruns the page while the interrupted run may still be saving the answer."""
    import threading

    stream, saved = _stream()
    assert not stream.wait_saved(0.01)
    chunks = stream.chunks()
    next(chunks)
    closer = threading.Thread(target=chunks.close)
    closer.start()
    assert stream.wait_saved(5.0)
    closer.join()
    assert saved == [("one ", True, None)]
