"""The progress handler turns the local runner's log records into component lines."""

from __future__ import annotations

import itertools
import logging

from pipeline.runners.progress import ComponentProgress


def _record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("absl", logging.INFO, __file__, 1, msg, args, None)


def test_one_event_per_component_with_status_and_duration():
    clock = itertools.count(start=10.0, step=2.5)
    started, finished = [], []
    handler = ComponentProgress(started.append, finished.append, clock=lambda: next(clock))
    for record in [
        _record("Component %s is running.", "CsvExampleGen"),
        _record("Going to run a new execution %d", 1),
        _record("Component %s is finished.", "CsvExampleGen"),
        _record("Component %s is running.", "Transform"),
        _record("A cached execution %d is used.", 7),
        _record("Component %s is finished.", "Transform"),
    ]:
        handler.emit(record)
    assert started == ["CsvExampleGen", "Transform"]
    assert [(e.name, e.status, e.seconds) for e in finished] == [
        ("CsvExampleGen", "executed", 2.5),
        ("Transform", "cached", 2.5),
    ]
    assert handler.current is None


def test_the_running_component_is_known_when_it_fails():
    handler = ComponentProgress(lambda _: None, lambda _: None)
    handler.emit(_record("Component %s is running.", "Trainer"))
    assert handler.current == "Trainer"
    assert handler.finished == []


def test_attached_to_the_absl_logger_it_sees_runner_messages():
    finished = []
    handler = ComponentProgress(lambda _: None, finished.append)
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.info("Component %s is running.", "Pusher")
        logger.info("Component %s is finished.", "Pusher")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [e.name for e in finished] == ["Pusher"]


def test_beam_dag_runner_messages_are_recognised_too():
    finished = []
    handler = ComponentProgress(lambda _: None, finished.append)
    handler.emit(_record("node %s is running.", "StatisticsGen"))
    handler.emit(_record("node %s is finished.", "StatisticsGen"))
    assert [e.name for e in finished] == ["StatisticsGen"]
