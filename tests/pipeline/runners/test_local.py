"""A failed run ends with the failing component's first meaningful error."""

from __future__ import annotations

from pipeline.runners.local import first_meaningful_error


def _raise_chain():
    try:
        try:
            raise ValueError("Feature fare is required but could not be found.")
        except ValueError as inner:
            raise RuntimeError(
                "ValueError: Feature fare is required but could not be found. "
                "[while running 'AnalyzeDataset/Decode']"
            ) from inner
    except RuntimeError as outer:
        raise RuntimeError("Pipeline failed after 3 retries\n" + "  trace line\n" * 300) from outer


def test_the_innermost_cause_is_reported_in_one_line():
    try:
        _raise_chain()
    except RuntimeError as e:
        message = first_meaningful_error(e)
    assert message == "ValueError: Feature fare is required but could not be found."


def test_beam_wrapping_is_stripped():
    e = RuntimeError("TypeError: bad operand [while running 'Transform/Map']")
    assert first_meaningful_error(e) == "TypeError: bad operand"


def test_long_messages_are_cut():
    message = first_meaningful_error(OSError("x" * 2000))
    assert message.startswith("OSError: xxx") and len(message) < 450
