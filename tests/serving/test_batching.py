"""Server-side batching: concurrent clients get exactly the unbatched answers."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable

import httpx
import pytest
from tensorflow.core.example import example_pb2

M = "half_plus_two"
API = f"/v1/models/{M}"
CLIENTS = 16
BATCH_SIZES = re.compile(
    r"^:tensorflow:serving:batching_session:processed_batch_size_(count|sum)"
    r'\{model_name="half_plus_two"\} ([0-9.e+]+)$',
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def batching_server(start_server, make_model_dir, tmp_path_factory, server, monitoring_config):
    """The model served with --enable_batching: batches of up to 8 rows, 200 ms timeout."""
    if server.external:
        return server
    params = tmp_path_factory.mktemp("batching") / "batching.config"
    params.write_text(
        "max_batch_size { value: 8 }\n"
        "batch_timeout_micros { value: 200000 }\n"
        "max_enqueued_batches { value: 100 }\n"
        "num_batch_threads { value: 2 }\n"
    )
    return start_server(
        f"--model_name={M}",
        f"--model_base_path={make_model_dir()}",
        "--enable_batching",
        f"--batching_parameters_file={params}",
        f"--monitoring_config_file={monitoring_config}",
    )


def concurrently(calls: list[Callable[[], object]]) -> list[object]:
    """Runs the calls on their own threads, released together; returns their results."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # reported through the results
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def predict(url: str, body: dict) -> tuple[int, object]:
    response = httpx.post(f"{url}{API}:predict", json=body, timeout=60)
    return response.status_code, response.json()


def batch_stats(url: str) -> dict[str, float]:
    page = httpx.get(f"{url}/monitoring/prometheus/metrics", timeout=30).text
    return {kind: float(value) for kind, value in BATCH_SIZES.findall(page)}


def test_concurrent_clients_get_the_unbatched_answers(batching_server, server):
    bodies = [{"instances": [[float(i)], [float(i) + 0.5]]} for i in range(CLIENTS)]
    expected = [predict(server.rest_url, body) for body in bodies]
    before = batch_stats(batching_server.rest_url)

    results = concurrently([lambda b=b: predict(batching_server.rest_url, b) for b in bodies])

    assert results == expected
    assert expected[3] == (200, {"predictions": [[3.5], [3.75]]})
    if not batching_server.external:
        after = batch_stats(batching_server.rest_url)
        batches = after["count"] - before.get("count", 0)
        rows = after["sum"] - before.get("sum", 0)
        assert rows == 2 * CLIENTS
        assert batches < CLIENTS, "no requests were merged"


def test_requests_of_different_shapes_are_not_mixed_up(batching_server):
    bodies = []
    for i in range(CLIENTS):
        width = 1 + i % 3
        bodies.append({"instances": [[float(i)] * width]})

    results = concurrently([lambda b=b: predict(batching_server.rest_url, b) for b in bodies])

    for i, (status, body) in enumerate(results):
        width = 1 + i % 3
        assert status == 200
        assert body == {"predictions": [[0.5 * i + 2] * width]}


def _example(x: float) -> str:
    example = example_pb2.Example()
    example.features.feature["x"].float_list.value.append(x)
    return base64.b64encode(example.SerializeToString()).decode("ascii")


def test_a_bad_request_in_a_batch_fails_alone(batching_server):
    good = [
        {"signature_name": "regress_x_to_y", "instances": [{"b64": _example(float(i))}]}
        for i in range(CLIENTS - 1)
    ]
    bad = {"signature_name": "regress_x_to_y", "instances": [{"b64": "bm90IGFuIGV4YW1wbGU="}]}

    results = concurrently([lambda b=b: predict(batching_server.rest_url, b) for b in [*good, bad]])

    for i, result in enumerate(results[:-1]):
        assert result == (200, {"predictions": [[0.5 * i + 2]]})
    status, body = results[-1]
    assert status == 400
    assert "Could not parse example input" in body["error"]


def test_a_request_over_max_batch_size_is_refused_as_tf_serving_does(batching_server, local_only):
    # TF's shared batch scheduler: a task above input_batch_size_limit (max_batch_size).
    status, body = predict(batching_server.rest_url, {"instances": [[float(i)] for i in range(9)]})
    assert status == 400
    assert body == {"error": "Task size 9 is larger than maximum input batch size 8"}


def test_with_splitting_a_large_request_is_answered(
    start_server, make_model_dir, tmp_path_factory, local_only
):
    params = tmp_path_factory.mktemp("splitting") / "batching.config"
    params.write_text(
        "max_batch_size { value: 1000 }\n"
        "enable_large_batch_splitting { value: true }\n"
        "max_execution_batch_size { value: 8 }\n"
        "batch_timeout_micros { value: 1000 }\n"
    )
    server = start_server(
        f"--model_name={M}",
        f"--model_base_path={make_model_dir()}",
        "--enable_batching",
        f"--batching_parameters_file={params}",
    )
    rows = [[float(i)] for i in range(300)]
    status, body = predict(server.rest_url, {"instances": rows})
    assert status == 200
    assert body == {"predictions": [[0.5 * r[0] + 2.0] for r in rows]}
