"""REST contract of TF Serving 2.16.1: spec section 6 cases #1-#28, plus bad input.

Every request goes over loopback to a running server (see conftest.py);
answers are compared by meaning, error messages by substring.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from tensorflow.core.example import example_pb2

M = "half_plus_two"
API = f"/v1/models/{M}"
OK_STATUS = {"error_code": "OK", "error_message": ""}


def example_b64(**features: list[float]) -> str:
    """Standard base64 of a serialized tf.Example with float features."""
    example = example_pb2.Example()
    for name, values in features.items():
        example.features.feature[name].float_list.value.extend(values)
    return base64.b64encode(example.SerializeToString()).decode("ascii")


EX80 = example_b64(x=[80.0])


def post(rest, path: str, body):
    """POSTs a JSON value, or raw bytes/str as they are."""
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return rest.post(path, content=content)


def assert_error(response, status: int, fragment: str) -> None:
    """A TF Serving error: the status code and a JSON `{"error": ...}` containing fragment."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert fragment in body["error"]


# ---- status and metadata (#1-#6) ---------------------------------------------


@pytest.mark.parametrize("path", [API, f"{API}/versions/123"], ids=["#1 latest", "#2 version"])
def test_status_reports_the_available_version(rest, path):
    response = rest.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "model_version_status": [{"version": "123", "state": "AVAILABLE", "status": OK_STATUS}]
    }


def test_status_of_unknown_model_is_not_found(rest):  # 3
    assert_error(rest.get("/v1/models/nope"), 404, "Could not find any versions of model nope")


def test_status_of_unknown_version_is_not_found(rest):  # 4
    assert_error(rest.get(f"{API}/versions/999"), 404, f"Could not find version 999 of model {M}")


def test_metadata_lists_every_signature(rest):  # 5
    response = rest.get(f"{API}/metadata")

    assert response.status_code == 200
    body = response.json()
    assert body["model_spec"] == {"name": M, "signature_name": "", "version": "123"}
    signatures = body["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) == {
        "serving_default",
        "classify_x_to_y",
        "regress_x_to_y",
        "regress_x_to_y2",
        "regress_x2_to_y3",
    }
    x = signatures["serving_default"]["inputs"]["x"]
    assert x["dtype"] == "DT_FLOAT"
    assert x["tensor_shape"] == {
        "dim": [{"size": "-1", "name": ""}, {"size": "1", "name": ""}],
        "unknown_rank": False,
    }
    assert signatures["serving_default"]["method_name"] == "tensorflow/serving/predict"
    assert signatures["classify_x_to_y"]["method_name"] == "tensorflow/serving/classify"


def test_metadata_of_unknown_model_is_not_found(rest):  # 6
    assert_error(
        rest.get("/v1/models/nope/metadata"), 404, "Servable not found for request: Latest(nope)"
    )


def test_metadata_by_version_and_unknown_version(rest):
    assert rest.get(f"{API}/versions/123/metadata").json()["model_spec"]["version"] == "123"
    assert_error(
        rest.get(f"{API}/versions/999/metadata"),
        404,
        f"Servable not found for request: Specific({M}, 999)",
    )
    assert_error(
        rest.get(f"{API}/labels/nolabel/metadata"),
        400,
        "Unrecognized servable version label: nolabel",
    )


# ---- predict (#7-#11) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        pytest.param(
            f"{API}:predict",
            {"instances": [1.0, 2.0, 5.0]},
            {"predictions": [2.5, 3.0, 4.5]},
            id="#7 row, shape not checked",
        ),
        pytest.param(
            f"{API}/versions/123:predict",
            {"signature_name": "serving_default", "instances": [[1.0], [2.0]]},
            {"predictions": [[2.5], [3.0]]},
            id="#8 version and signature",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [{"x": [1.0]}, {"x": [2.0]}]},
            {"predictions": [[2.5], [3.0]]},
            id="#9 named instances",
        ),
        pytest.param(
            f"{API}:predict",
            {"inputs": {"x": [[1.0], [2.0]]}},
            {"outputs": [[2.5], [3.0]]},
            id="#10 columnar",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "regress_x_to_y", "instances": [{"b64": EX80}]},
            {"predictions": [[42.0]]},
            id="#11 b64 tf.Example",
        ),
        pytest.param(
            f"{API}:predict",
            {"inputs": [[1.0], [3.0]]},
            {"outputs": [[2.5], [3.5]]},
            id="columnar plain list",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [1, 3]},
            {"predictions": [2.5, 3.5]},
            id="JSON ints for a float input",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "regress_x2_to_y3", "instances": [[1.0], [4.0]]},
            {"predictions": [[3.5], [5.0]]},
            id="regress signature via predict",
        ),
    ],
)
def test_predict(rest, path, body, expected):
    response = post(rest, path, body)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected


def test_predict_reads_and_writes_nan_and_infinity(rest):
    response = post(rest, f"{API}:predict", '{"instances": [NaN, Infinity, -Infinity]}')

    assert response.status_code == 200, response.text
    assert "NaN" in response.text and "Infinity" in response.text
    values = response.json()["predictions"]
    assert values[0] != values[0]  # NaN
    assert values[1:] == [float("inf"), float("-inf")]


def test_predict_accepts_a_gzip_body(rest):
    body = gzip.compress(json.dumps({"instances": [1.0, 2.0]}).encode())

    response = rest.post(f"{API}:predict", content=body, headers={"Content-Encoding": "gzip"})

    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [2.5, 3.0]}


def test_predict_ignores_the_request_content_type(rest):
    response = rest.post(
        f"{API}:predict",
        content=json.dumps({"instances": [1.0]}),
        headers={"Content-Type": "text/plain"},
    )

    assert response.json() == {"predictions": [2.5]}


# ---- predict errors (#12-#23 and more) --------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        pytest.param(
            "/v1/models/nope:predict", {"instances": [1.0]}, 404, "Latest(nope)", id="#12"
        ),
        pytest.param(
            f"{API}/versions/999:predict",
            {"instances": [1.0]},
            404,
            f"Specific({M}, 999)",
            id="#13",
        ),
        pytest.param(
            f"{API}/labels/nolabel:predict",
            {"instances": [1.0]},
            400,
            "Unrecognized servable version label: nolabel",
            id="#14",
        ),
        pytest.param(
            f"{API}:predict", b"", 400, "JSON Parse error: The document is empty", id="#15 empty"
        ),
        pytest.param(
            f"{API}:predict",
            "instances = [1]",
            400,
            "JSON Parse error: Invalid value",
            id="#15 not JSON",
        ),
        pytest.param(  # 35
            f"{API}:predict",
            '{"instances": [1e400]}',
            400,
            "JSON Parse error: Number too big to be stored in double.",
            id="#35 1e400",
        ),
        pytest.param(
            f"{API}:predict",
            '{"instances": [' + "9" * 5000 + "]}",
            400,
            "JSON Parse error: Number too big to be stored in double.",
            id="#35 5000 digits",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [1.0], "inputs": [1.0]},
            400,
            "only one of 'inputs' or 'instances'",
            id="#16",
        ),
        pytest.param(
            f"{API}:predict", {}, 400, "Missing 'inputs' or 'instances' key", id="#17 no key"
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": []},
            400,
            "No values in 'instances' array",
            id="#17 empty",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [{"y": [1.0]}]},
            400,
            "Failed to process element: 0 key: y of 'instances' list. Error: "
            "INVALID_ARGUMENT: JSON object: does not have named input: y",
            id="#18",
        ),
        pytest.param(
            f"{API}:predict",
            {"inputs": {"z": [1.0]}},
            400,
            "Missing named input: x in 'inputs' object.",
            id="#19",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": ["a", "b"]},
            400,
            'JSON Value: "a" Type: String is not of expected type: float',
            id="#20",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [[1.0, 2.0], [3.0]]},
            400,
            "Expecting tensor size: 2 but got: 1",
            id="#21",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "nope", "instances": [1.0]},
            400,
            'Serving signature name: "nope" not found in signature def',
            id="#22 unknown signature",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": 5, "instances": [1.0]},
            400,
            "'signature_name' key must be a string value.",
            id="#22 signature not a string",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "regress_x_to_y", "instances": [{"b64": "@@"}]},
            400,
            "Unable to base64 decode",
            id="#23",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "regress_x_to_y", "instances": [{"b64": "-_8="}]},
            400,
            "Unable to base64 decode",
            id="URL-safe base64",
        ),
        pytest.param(
            f"{API}:predict", "[1, 2]", 400, "Is not object", id="top level is not an object"
        ),
        pytest.param(
            f"{API}:predict",
            '{"instances": [1.0,',
            400,
            "JSON Parse error",
            id="truncated JSON",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": {"x": 1.0}},
            400,
            "to be an list/array",
            id="instances not a list",
        ),
        pytest.param(
            f"{API}:predict",
            {"inputs": {"x": [[1.0, 2.0], [3.0]]}},
            400,
            "Encountered list at unexpected size: 1 at level: 1 expected size: 2",
            id="ragged columnar",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [[1.0], [[2.0]]]},
            400,
            "Expecting shape [1] but got: [1,1]",
            id="instances of different shapes",
        ),
        pytest.param(
            f"{API}:predict",
            {"inputs": {"x": [[1.0], [[2.0]]]}},
            400,
            "Encountered list at unexpected level: 2 expected < 2",
            id="columnar nested too deep",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [True]},
            400,
            "Type: True is not of expected type: float",
            id="bool for float",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [16777217]},
            400,
            "Cannot convert JSON value: 16777217 to float without loss of precision.",
            id="lossy int",
        ),
        pytest.param(
            f"{API}:predict",
            {"instances": [{"x": [1.0]}, [2.0]]},
            400,
            "Expecting object but got list at item 1 of input list",
            id="objects then a list",
        ),
        pytest.param(
            f"{API}:predict",
            {"signature_name": "regress_x_to_y", "instances": [{"b64": EX80}, "not b64"]},
            400,
            "Could not parse example input",
            id="kernel error",
        ),
        pytest.param(
            f"{API}/versions/99999999999999999999:predict",
            {"instances": [1.0]},
            400,
            "Failed to convert version: 99999999999999999999 to numeric.",
            id="version overflows int64",
        ),
    ],
)
def test_predict_rejects(rest, path, body, status, fragment):
    assert_error(post(rest, path, body), status, fragment)


# ---- classify and regress (#24-#26 and more) ------------------------------------------


@pytest.mark.parametrize(
    ("verb", "body", "expected"),
    [
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]},
            {"results": [42.0]},
            id="#24",
        ),
        pytest.param(
            "classify",
            {"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}]},
            {"results": [[["", 12.0]]]},
            id="#25",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y2", "examples": [{"x": [4.0]}, {"x": 2.0}]},
            {"results": [5.0, 4.0]},
            id="several examples",
        ),
        pytest.param(
            "regress",
            {
                "signature_name": "regress_x_to_y2",
                "context": {"x": 10.0},
                "examples": [{}, {"x": 2.0}],
            },
            {"results": [8.0, 4.0]},
            id="context, example wins",
        ),
    ],
)
def test_classify_and_regress(rest, verb, body, expected):
    response = post(rest, f"{API}:{verb}", body)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected


@pytest.mark.parametrize(
    ("verb", "body", "status", "fragment"),
    [
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y"},
            400,
            "key 'examples' is expected and was not found",
            id="#26",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": []},
            400,
            "'examples' value is an empty array",
            id="empty examples",
        ),
        pytest.param(
            "classify",
            {"signature_name": "nope", "examples": [{"x": 1.0}]},
            400,
            "No signature was found with the name: nope",
            id="unknown signature",
        ),
        # #33: TF Serving does not check method names by default
        # (--enable_signature_method_name_check=false): a signature is judged by its
        # inputs and outputs.
        pytest.param(
            "classify",
            {"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}]},
            400,
            'Expected classification signature outputs to contain at least one of "classes" '
            'or "scores"',
            id="regress signature",
        ),
        pytest.param(
            "classify",
            {"signature_name": "serving_default", "examples": [{"x": 1.0}]},
            400,
            "No classification inputs found in SignatureDef",
            id="predict signature",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [{"x": [1, 2.0]}]},
            400,
            "Unexpected element type in feature: x expecting type: int64",
            id="mixed feature kinds",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [{"x": None}]},
            400,
            "Feature: x has element with unexpected JSON type: Null",
            id="null feature",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [{"x": [[1.0]]}]},
            400,
            "Feature: x has element with unexpected JSON type: Array",
            id="nested list feature",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [{"x": 1}]},
            400,
            "Data types don't match",
            id="int feature for a float column",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x_to_y", "examples": [5]},
            400,
            "Example must be JSON object but got JSON Number",
            id="example not an object",
        ),
        pytest.param(
            "regress",
            {"signature_name": "regress_x2_to_y3", "examples": [{"x2": 1.0}]},
            400,
            "Expects arg[0] to be float but string is provided",
            id="regress on a float input",
        ),
        pytest.param(
            "classify",
            b"",
            400,
            "JSON Parse error: The document is empty",
            id="empty body",
        ),
    ],
)
def test_classify_and_regress_reject(rest, verb, body, status, fragment):
    assert_error(post(rest, f"{API}:{verb}", body), status, fragment)


# ---- routing (#27, #28) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        pytest.param("GET", "/v1/foo", "Malformed request: GET /v1/foo", id="#27 /v1/foo"),
        pytest.param(
            "POST", f"{API}:explain", f"Malformed request: POST {API}:explain", id="#27 :explain"
        ),
        pytest.param("GET", "/v1/models", "Missing model name in request.", id="#27 /v1/models"),
        pytest.param("GET", f"{API}:predict", "Malformed request: GET", id="GET :predict"),
        pytest.param("POST", f"{API}/metadata", "Malformed request: POST", id="POST /metadata"),
        pytest.param("GET", f"{API}/version/5", "Malformed request", id="/version/"),
        pytest.param("GET", f"{API}/versions/abc", "Malformed request", id="non-numeric version"),
        pytest.param(
            "GET", f"{API}/versions/1/labels/x", "Malformed request", id="version and label"
        ),
        pytest.param("PUT", f"{API}:predict", "Malformed request: PUT", id="PUT"),
        pytest.param("DELETE", API, "Malformed request: DELETE", id="DELETE"),
    ],
)
def test_malformed_requests(rest, method, path, fragment):
    assert_error(rest.request(method, path), 400, fragment)


def test_paths_outside_v1_are_not_found(rest):  # 28
    assert rest.get("/").status_code == 404
    assert rest.post("/v2/models/x:predict", content="{}").status_code == 404


def test_status_ignores_an_unknown_label(rest):
    response = rest.get(f"{API}/labels/whatever")

    assert response.status_code == 200
    assert [s["version"] for s in response.json()["model_version_status"]] == ["123"]


def test_cors_preflight(rest):
    with_origin = rest.options(f"{API}:predict", headers={"Origin": "http://example.test"})
    without_origin = rest.options(f"{API}:predict")

    assert with_origin.status_code == 200
    assert with_origin.content == b""
    assert without_origin.status_code == 400
    assert without_origin.content == b""


# ---- this server's own limits ---------------------------------------------------------


def test_oversize_body_is_refused_with_413(rest, local_only):
    # The shared local server runs with --max_body_bytes=1048576.
    body = json.dumps({"instances": [1.0] * 300_000})

    response = post(rest, f"{API}:predict", body)

    assert_error(response, 413, "larger than the limit of 1048576 bytes")


def test_gzip_body_counts_after_decompression(rest, local_only):
    body = gzip.compress(b'{"instances": [' + b"1.0, " * 300_000 + b"1.0]}")
    assert len(body) < 1048576

    response = rest.post(f"{API}:predict", content=body, headers={"Content-Encoding": "gzip"})

    assert_error(response, 413, "larger than the limit")


def test_corrupt_gzip_body_is_a_bad_request(rest, local_only):
    response = rest.post(
        f"{API}:predict", content=b"not gzip", headers={"Content-Encoding": "gzip"}
    )

    assert_error(response, 400, "Failed to decompress")
