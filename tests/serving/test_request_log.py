"""Request logging: sampled requests written as PredictionLog records, off the request path.

The logger's queue, writer process and shutdown are tested on the logger
itself (a writer held up on purpose, a writer killed); everything else against
the real server serving the real half_plus_two SavedModel, reading the files it
wrote with `tf.data`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from functools import partial
from pathlib import Path

import grpc
import httpx
import numpy as np
import psutil
import pytest
import request_log_builds as builds
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving import log_writer
from serving.config import ModelConfig, RequestLogging
from serving.options import RequestLogOptions
from serving.request_log import DROPPED, FAILED, WRITTEN, RequestLogger
from serving.tensors import to_tensor_proto

M = "half_plus_two"
VERSION = 123
API = f"/v1/models/{M}"
WAIT_S = 20


def read_records(folder: Path) -> list[prediction_log_pb2.PredictionLog]:
    """Every record of the finished files under `folder`, files in name order."""
    return [
        prediction_log_pb2.PredictionLog.FromString(raw.numpy())
        for path in sorted(folder.rglob("requests-*.tfrecord"))
        for raw in tf.data.TFRecordDataset(str(path))
    ]


def wait_for_new_records(folder: Path, seen: int, count: int = 1) -> list:
    """The records past the first `seen`, once `count` of them are written."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        records = read_records(folder)
        if len(records) >= seen + count:
            return records[seen:]
        time.sleep(0.05)
    pytest.fail(f"{count} new request log records not written within {WAIT_S} s")


# --- the logger: queue, drops, shutdown -------------------------------------------------


def _logger(tmp_path: Path, **options) -> RequestLogger:
    logger = RequestLogger(RequestLogOptions(**options))
    logging = RequestLogging(str(tmp_path), sampling_rate=1.0)
    logger.configure([ModelConfig(name=M, base_path="/unused", logging=logging)])
    logger.start()
    return logger


def _wait_for(path: Path) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return path.exists()


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path):
    logs, marks = tmp_path / "logs", tmp_path / "marks"
    marks.mkdir()
    logger = _logger(logs, queue_size=2)
    held_up = builds.HeldUp(marks, WAIT_S)  # the writer builds the record: hold it there

    assert logger.maybe_log(M, held_up)
    assert _wait_for(held_up.busy)
    assert logger.maybe_log(M, partial(builds.record, 1.0))  # the queue holds two
    assert logger.maybe_log(M, partial(builds.record, 2.0))
    started = time.monotonic()
    queued = [logger.maybe_log(M, partial(builds.record, 9.0)) for _ in range(50)]
    assert time.monotonic() - started < 1.0  # never waits for room
    assert not any(queued)
    assert logger.counts[DROPPED] == 50

    held_up.release.touch()
    logger.close()
    assert logger.counts == {WRITTEN: 3, DROPPED: 50, FAILED: 0}
    xs = [r.predict_log.request.inputs["x"].float_val[0] for r in read_records(logs)]
    assert xs == [0.0, 1.0, 2.0]


def test_close_writes_what_is_queued_and_finishes_the_file(tmp_path):
    # Without close, nothing would be readable yet: the file is under 64 MiB and 10 min old.
    logger = _logger(tmp_path)
    for i in range(20):
        assert logger.maybe_log(M, partial(builds.record, float(i)))
    logger.close()

    records = read_records(tmp_path)
    assert [r.predict_log.request.inputs["x"].float_val[0] for r in records] == list(range(20))
    assert len(list(tmp_path.rglob("*.tfrecord"))) == 1
    assert not list(tmp_path.rglob("*.inprogress"))


def test_records_are_built_in_a_writer_process_not_the_servers(tmp_path):
    logger = _logger(tmp_path)
    logger.maybe_log(M, builds.pid_record)
    logger.close()

    (record,) = read_records(tmp_path)
    builder_pid = int(record.predict_log.request.inputs["x"].float_val[0])
    assert builder_pid != os.getpid()


def test_a_record_that_cannot_be_built_is_counted_and_the_log_goes_on(tmp_path):
    logger = _logger(tmp_path)
    logger.maybe_log(M, builds.broken)
    logger.maybe_log(M, lambda: builds.record(3.0))  # cannot be pickled: never sent
    logger.maybe_log(M, partial(builds.record, 4.0))
    logger.close()

    assert logger.counts == {WRITTEN: 1, DROPPED: 0, FAILED: 2}
    assert [r.predict_log.request.inputs["x"].float_val[0] for r in read_records(tmp_path)] == [4.0]


def test_a_writer_process_that_dies_is_counted_and_started_again(tmp_path):
    logger = _logger(tmp_path)
    logger.maybe_log(M, partial(builds.record, 1.0))
    deadline = time.monotonic() + WAIT_S
    while logger.counts[WRITTEN] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    (writer,) = multiprocessing.active_children()
    writer.kill()
    writer.join(WAIT_S)

    logger.maybe_log(M, partial(builds.record, 2.0))  # sent to the dead process: lost
    deadline = time.monotonic() + WAIT_S
    while logger.counts[FAILED] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    logger.maybe_log(M, partial(builds.record, 3.0))  # a new process writes it
    logger.close()

    assert logger.counts == {WRITTEN: 2, DROPPED: 0, FAILED: 1}
    xs = [r.predict_log.request.inputs["x"].float_val[0] for r in read_records(tmp_path)]
    assert xs == [3.0]  # the killed process's file was never finished: only `.inprogress`
    assert len(list(tmp_path.rglob("*.inprogress"))) == 1
    assert not multiprocessing.active_children()


def test_models_without_logging_config_are_not_logged(tmp_path):
    logger = _logger(tmp_path)
    assert not logger.maybe_log("other_model", partial(builds.record, 1.0))
    logger.close()
    assert read_records(tmp_path) == []


# --- the server: what is written, for REST and gRPC ----------------------------------------


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("request_logs")


@pytest.fixture(scope="module")
def logging_server(start_server, make_model_dir, log_dir, monitoring_config, local_only):
    """half_plus_two logging every request, one record per file (so each is readable at once),
    with the example feature x2 dropped before writing."""
    return start_server(
        f"--model_name={M}",
        f"--model_base_path={make_model_dir()}",
        f"--monitoring_config_file={monitoring_config}",
        f"--request_log_dir={log_dir}",
        "--request_log_max_file_records=1",
        "--request_log_drop_columns=x2, unused",
    )


@pytest.fixture(scope="module")
def stub(logging_server):
    with grpc.insecure_channel(logging_server.grpc_target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


def _examples(request, rows: list[dict[str, float]]) -> None:
    for row in rows:
        example = request.input.example_list.examples.add()
        for name, value in row.items():
            example.features.feature[name].float_list.value.append(value)


def test_rest_predict_is_logged_as_the_equivalent_predict_request(logging_server, log_dir):
    seen = len(read_records(log_dir))
    response = httpx.post(
        f"{logging_server.rest_url}{API}:predict", json={"instances": [1.0, 2.0, 5.0]}
    )
    assert response.status_code == 200

    (record,) = wait_for_new_records(log_dir, seen)
    metadata = record.log_metadata
    assert (metadata.model_spec.name, metadata.model_spec.version.value) == (M, VERSION)
    assert metadata.model_spec.signature_name == "serving_default"
    assert metadata.sampling_config.sampling_rate == 1.0
    assert list(metadata.saved_model_tags) == ["serve"]
    assert abs(metadata.timestamp_secs - time.time()) < 60
    logged_x = tf.make_ndarray(record.predict_log.request.inputs["x"])
    assert logged_x.tolist() == [1.0, 2.0, 5.0]
    logged_y = tf.make_ndarray(record.predict_log.response.outputs["y"])
    assert logged_y.tolist() == response.json()["predictions"]
    files = list((log_dir / M / str(VERSION)).glob("requests-*.tfrecord"))
    assert len(files) == len(read_records(log_dir))  # one record per file, as configured


def test_grpc_predict_is_logged_as_sent_and_answered(logging_server, log_dir, stub):
    seen = len(read_records(log_dir))
    request = predict_pb2.PredictRequest()
    request.model_spec.name = M
    request.inputs["x"].CopyFrom(to_tensor_proto(np.array([[3.0], [4.0]], dtype=np.float32)))
    response = stub.Predict(request, timeout=30)

    (record,) = wait_for_new_records(log_dir, seen)
    assert record.predict_log.request == request
    assert record.predict_log.response == response
    assert record.log_metadata.model_spec.version.value == VERSION


def test_rest_classify_is_logged_without_the_dropped_feature(logging_server, log_dir):
    seen = len(read_records(log_dir))
    body = {"signature_name": "classify_x_to_y", "examples": [{"x": 20.0, "x2": 7.0}]}
    response = httpx.post(f"{logging_server.rest_url}{API}:classify", json=body)
    assert response.status_code == 200

    (record,) = wait_for_new_records(log_dir, seen)
    (example,) = record.classify_log.request.input.example_list.examples
    assert set(example.features.feature) == {"x"}
    assert example.features.feature["x"].float_list.value == [20.0]
    logged = [
        [[c.label, c.score] for c in result.classes]
        for result in record.classify_log.response.result.classifications
    ]
    assert logged == response.json()["results"]
    assert record.log_metadata.model_spec.signature_name == "classify_x_to_y"


def test_grpc_regress_is_logged_without_the_dropped_feature(logging_server, log_dir, stub):
    seen = len(read_records(log_dir))
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = M
    request.model_spec.signature_name = "regress_x_to_y2"
    _examples(request, [{"x": 4.0, "x2": 1.0}, {"x": 6.0}])
    response = stub.Regress(request, timeout=30)

    (record,) = wait_for_new_records(log_dir, seen)
    logged = record.regress_log.request.input.example_list.examples
    assert [set(e.features.feature) for e in logged] == [{"x"}, {"x"}]
    assert record.regress_log.response == response
    assert [r.value for r in response.result.regressions] == [5.0, 6.0]


def test_grpc_multi_inference_is_logged_with_the_version_that_answered(
    logging_server, log_dir, stub
):
    seen = len(read_records(log_dir))
    request = inference_pb2.MultiInferenceRequest()
    for signature, method in (("classify_x_to_y", "classify"), ("regress_x_to_y", "regress")):
        task = request.tasks.add(method_name=f"tensorflow/serving/{method}")
        task.model_spec.name = M
        task.model_spec.signature_name = signature
    _examples(request, [{"x": 2.0, "x2": 5.0}])
    response = stub.MultiInference(request, timeout=30)

    (record,) = wait_for_new_records(log_dir, seen)
    assert record.multi_inference_log.response == response
    (example,) = record.multi_inference_log.request.input.example_list.examples
    assert set(example.features.feature) == {"x"}
    spec = record.log_metadata.model_spec
    assert (spec.name, spec.version.value, spec.signature_name) == (M, VERSION, "")
    assert list((log_dir / M).iterdir()) == [log_dir / M / str(VERSION)]


def test_failed_requests_are_not_logged_and_written_ones_are_counted(logging_server, log_dir, stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = M
    request.model_spec.signature_name = "no_such_signature"
    _examples(request, [{"x": 1.0}])
    with pytest.raises(grpc.RpcError):
        stub.Classify(request, timeout=30)
    seen = len(read_records(log_dir))
    ok = httpx.post(f"{logging_server.rest_url}{API}:predict", json={"instances": [8.0]})
    assert ok.status_code == 200

    # The failed call came first; the only new record is the successful predict.
    (record,) = wait_for_new_records(log_dir, seen)
    assert tf.make_ndarray(record.predict_log.request.inputs["x"]).tolist() == [8.0]
    page = httpx.get(f"{logging_server.rest_url}/monitoring/prometheus/metrics").text
    written = f'request_log_records_total{{model_name="{M}",outcome="written"}}'
    line = next(line for line in page.splitlines() if line.startswith(written))
    assert float(line.split()[-1]) == len(read_records(log_dir))


# --- the server: sampling, from the model config file, and shutdown ------------------------


def _write_config(path: Path, models: dict[str, tuple[Path, Path, float]]) -> None:
    entries = "".join(
        f"""  config {{
    name: "{name}" base_path: "{base}" model_platform: "tensorflow"
    logging_config {{
      log_collector_config {{ type: "tfrecord" filename_prefix: "{prefix}" }}
      sampling_config {{ sampling_rate: {rate} }}
    }}
  }}
"""
        for name, (base, prefix, rate) in models.items()
    )
    path.write_text(f"model_config_list {{\n{entries}}}\n")


def test_sampling_follows_each_models_rate_and_shutdown_flushes(
    start_server, make_model_dir, tmp_path, local_only
):
    seed, rate, sent = 7, 0.3, 200
    never, sampled = tmp_path / "never", tmp_path / "sampled"
    config = tmp_path / "models.config"
    _write_config(
        config,
        {
            M: (make_model_dir(), never, 0.0),
            "half_plus_two_b": (make_model_dir(), sampled, rate),
        },
    )
    server = start_server(
        f"--model_config_file={config}", f"--request_log_sampling_seed={seed}", model=M
    )
    server.process.wait_until_available(server.rest_url, "half_plus_two_b")

    with grpc.insecure_channel(server.grpc_target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        for i in range(sent):  # one at a time: the i-th request takes the i-th draw
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "half_plus_two_b"
            request.inputs["x"].CopyFrom(to_tensor_proto(np.array([float(i)], np.float32)))
            stub.Predict(request, timeout=30)
        for _ in range(20):
            request.model_spec.name = M
            stub.Predict(request, timeout=30)
    # Nothing is readable before shutdown: the files are neither full nor old.
    assert read_records(sampled) == []
    assert server.process.stop() == 0

    draws = random.Random(seed)
    expected = [i for i in range(sent) if draws.random() < rate]
    assert 0.2 * sent < len(expected) < 0.4 * sent  # the seed gives a typical sample
    records = read_records(sampled)
    assert [r.predict_log.request.inputs["x"].float_val[0] for r in records] == expected
    assert {r.log_metadata.model_spec.name for r in records} == {"half_plus_two_b"}
    assert {r.log_metadata.sampling_config.sampling_rate for r in records} == {rate}
    assert not list(sampled.rglob("*.inprogress"))
    assert not never.exists()  # rate 0 writes nothing, not even a folder


def test_a_killed_server_still_leaves_complete_files(
    start_server, make_model_dir, monitoring_config, tmp_path, local_only
):
    """The writer process outlives a SIGKILLed server just long enough to finish its files."""
    logs = tmp_path / "logs"
    server = start_server(
        f"--model_name={M}",
        f"--model_base_path={make_model_dir()}",
        f"--monitoring_config_file={monitoring_config}",
        f"--request_log_dir={logs}",
    )
    sent = [float(i) for i in range(30)]
    with httpx.Client() as client:
        for x in sent:
            response = client.post(f"{server.rest_url}{API}:predict", json={"instances": [x]})
            assert response.status_code == 200
        _wait_until_written(client, server.rest_url, len(sent))
    server_process = psutil.Process(server.process.popen.pid)
    helpers = server_process.children()
    assert helpers  # the writer (and multiprocessing's resource tracker)
    # The writer yields the CPU to the server.
    assert max(p.nice() for p in helpers) == server_process.nice() + log_writer.NICENESS

    server.process.popen.kill()
    server.process.popen.wait(WAIT_S)

    records = wait_for_new_records(logs, 0, len(sent))
    assert [r.predict_log.request.inputs["x"].float_val[0] for r in records] == sent
    assert not list(logs.rglob("*.inprogress"))
    _, alive = psutil.wait_procs(helpers, timeout=WAIT_S)
    assert not alive, f"left running after the server died: {alive}"


def _wait_until_written(client: httpx.Client, rest_url: str, count: int) -> None:
    written = f'request_log_records_total{{model_name="{M}",outcome="written"}}'
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        page = client.get(f"{rest_url}/monitoring/prometheus/metrics").text
        lines = [line for line in page.splitlines() if line.startswith(written)]
        if lines and float(lines[0].split()[-1]) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"{count} records not written within {WAIT_S} s")
