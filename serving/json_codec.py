"""TF Serving's REST JSON formats (util/json_tensor.cc), request and response side.

Requests are decoded with the same rules and error texts as TF Serving:
row (`instances`) and columnar (`inputs`) predict bodies, `{"b64": ...}`
strings, per-dtype type checks, and the `examples`/`context` bodies of
classify and regress. Responses use the same shapes: `predictions` /
`outputs` / `results`, floats always with a decimal point or exponent,
`NaN`/`Infinity` as bare tokens, `_bytes` outputs as `{"b64": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from google.protobuf import json_format
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import input_pb2

from serving.errors import Code, ServingError, invalid_argument
from serving.tensors import dtype_name, numpy_dtype

ROW, COLUMNAR = "row", "columnar"
_B64 = "b64"
_BYTES_SUFFIX = "_bytes"
# Error messages quote the offending JSON; TF Serving's master branch cuts it
# to 256 bytes, which keeps a multi-megabyte request out of the error body.
_MAX_QUOTED_JSON = 256
_FLOAT32_MAX_INT = 2**24 - 1
_FLOAT64_MAX_INT = 2**53 - 1
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_B64_CHARS = re.compile(r"[A-Za-z0-9+/]*={0,2}")

# rapidjson's messages for the parse errors Python's decoder reports.
_PARSE_ERRORS = (
    ("Expecting value", "Invalid value."),
    ("Extra data", "The document root must not be followed by other values."),
    ("Expecting property name", "Missing a name for object member."),
    ("Expecting ':' delimiter", "Missing a colon after a name of object member."),
    ("Unterminated string", "Missing a closing quotation mark in string."),
    ("Invalid control character", "Invalid encoding in string."),
    ("Invalid \\escape", "Invalid escape character in string."),
    ("Invalid \\uXXXX escape", "Incorrect hex digit after \\u escape in string."),
)


# ---- parsing ---------------------------------------------------------------


def parse_request(body: bytes) -> dict[str, Any]:
    """Parses a request body: a JSON object, with TF Serving's parse errors."""
    if not body:
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid_argument(
            f"JSON Parse error: Invalid encoding in string. at offset: {exc.start}"
        ) from exc
    if not text.strip():
        raise invalid_argument(f"JSON Parse error: The document is empty at offset: {len(text)}")
    try:
        doc = json.loads(text, parse_float=_json_double, parse_int=_json_integer)
    except _NumberTooBig as exc:
        raise invalid_argument(
            "JSON Parse error: Number too big to be stored in double. at offset: "
            f"{max(text.find(exc.text), 0)}"
        ) from None
    except json.JSONDecodeError as exc:
        raise invalid_argument(
            f"JSON Parse error: {_rapidjson_message(exc)} at offset: {exc.pos}"
        ) from exc
    except RecursionError as exc:
        raise invalid_argument("JSON Parse error: Document nesting is too deep.") from exc
    if not isinstance(doc, dict):
        raise _format_error(doc, "Is not object")
    return doc


class _NumberTooBig(ValueError):
    """A JSON number beyond a double's range, which RapidJSON (TF Serving's parser) refuses."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _json_double(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NumberTooBig(text)
    return value


def _json_integer(text: str) -> int | float:
    """An integer as RapidJSON keeps it: exact within 64 bits, else a double.

    Never `int()` on thousands of digits: Python refuses those (a 500 before).
    """
    digits = len(text.lstrip("-"))
    if digits <= 20:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    return _json_double(text)


def _rapidjson_message(exc: json.JSONDecodeError) -> str:
    for python_text, rapidjson_text in _PARSE_ERRORS:
        if exc.msg.startswith(python_text):
            return rapidjson_text
    if exc.msg.startswith("Expecting ',' delimiter"):
        inside_array = exc.doc.rfind("[", 0, exc.pos) > exc.doc.rfind("{", 0, exc.pos)
        if inside_array:
            return "Missing a comma or ']' after an array element."
        return "Missing a comma or '}' after an object member."
    return "Invalid value."


def signature_name(doc: Mapping[str, Any]) -> str:
    """The optional `signature_name` of a request ("" when absent)."""
    value = doc.get("signature_name", "")
    if not isinstance(value, str):
        raise _format_error(
            doc, "not formatted correctly. 'signature_name' key must be a string value."
        )
    return value


def predict_inputs(doc: Mapping[str, Any], dtypes: Mapping[str, int]) -> tuple[str, dict]:
    """Decodes `instances` (row) or `inputs` (columnar) into named arrays.

    `dtypes` are the signature's input DataTypes by alias (`Servable.input_dtypes`).
    Returns the request format and `{alias: ndarray}`.
    """
    has_instances, has_inputs = "instances" in doc, "inputs" in doc
    if has_instances and has_inputs:
        raise _format_error(
            doc,
            "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
        )
    if has_instances:
        instances = doc["instances"]
        if not isinstance(instances, list):
            # sic: "Excepting" is TF Serving's spelling (json_tensor.cc).
            raise _format_error(doc, "Excepting 'instances' to be an list/array")
        if not instances:
            raise _format_error(doc, "No values in 'instances' array")
        return ROW, _tensors_from_instances(instances, dtypes)
    if has_inputs:
        return COLUMNAR, _tensors_from_inputs(doc["inputs"], dtypes)
    raise invalid_argument("Missing 'inputs' or 'instances' key")


def _tensors_from_instances(instances: list, dtypes: Mapping[str, int]) -> dict[str, np.ndarray]:
    names = sorted(dtypes)
    if not isinstance(instances[0], dict) and len(names) > 1:
        raise invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    objects = _is_named_object(instances[0])
    batch = _InstanceBatch(dtypes)
    for index, element in enumerate(instances):
        if objects:
            if not _is_named_object(element):
                raise invalid_argument(
                    f"Expecting object but got list at item {index} of input list"
                )
            for key, item in element.items():
                try:
                    batch.add(key, item)
                except ServingError as exc:
                    raise invalid_argument(
                        f"Failed to process element: {index} key: {key} of 'instances' list. "
                        f"Error: {exc}"
                    ) from exc
            if set(element) != set(names):
                raise invalid_argument(
                    f"Failed to process element: {index} of 'instances' list. JSON object: "
                    f"{_quote(element)} keys must be equal to: {','.join(names)}"
                )
        else:
            if _is_named_object(element):
                raise invalid_argument(
                    f"Expecting value/list but got object at item {index} of input list"
                )
            try:
                batch.add(names[0], element)
            except ServingError as exc:
                raise invalid_argument(
                    f"Failed to process element: {index} of 'instances' list. Error: {exc}"
                ) from exc
    return batch.arrays(len(instances))


class _InstanceBatch:
    """Stacks the instances of each input along a new dim 0 (AddInstanceItem)."""

    def __init__(self, dtypes: Mapping[str, int]) -> None:
        self._dtypes = dtypes
        self._values: dict[str, list] = {}
        self._shapes: dict[str, list[int]] = {}
        self._sizes: dict[str, int] = {}

    def add(self, name: str, item: Any) -> None:
        if name not in self._dtypes:
            raise invalid_argument(f"JSON object: does not have named input: {name}")
        shape = _dense_shape(item)
        values: list = []
        _fill(item, 0, shape, self._dtypes[name], values)
        if name not in self._sizes:
            self._sizes[name], self._shapes[name], self._values[name] = len(values), shape, values
            return
        if self._sizes[name] != len(values):
            raise invalid_argument(
                f"Expecting tensor size: {self._sizes[name]} but got: {len(values)}"
            )
        if self._shapes[name] != shape:
            raise invalid_argument(
                f"Expecting shape {_shape_str(self._shapes[name])} but got: {_shape_str(shape)}"
            )
        self._values[name].extend(values)

    def arrays(self, batch_size: int) -> dict[str, np.ndarray]:
        return {
            name: _to_array(values, self._dtypes[name], [batch_size, *self._shapes[name]])
            for name, values in self._values.items()
        }


def _tensors_from_inputs(value: Any, dtypes: Mapping[str, int]) -> dict[str, np.ndarray]:
    if not isinstance(value, dict) or _is_b64_object(value):
        if len(dtypes) > 1:
            raise invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple input "
                "tensors required as per tensorinfo_map"
            )
        (name,) = dtypes
        return {name: tensor_from_json(value, dtypes[name])}
    arrays = {}
    for name in sorted(dtypes):
        if name not in value:
            raise invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        arrays[name] = tensor_from_json(value[name], dtypes[name])
    return arrays


def tensor_from_json(value: Any, dtype: int) -> np.ndarray:
    """One dense tensor from a (nested) JSON list or scalar."""
    shape = _dense_shape(value)
    values: list = []
    _fill(value, 0, shape, dtype, values)
    return _to_array(values, dtype, shape)


def _dense_shape(value: Any) -> list[int]:
    # GetDenseTensorShape: the shape is read off the first element at each level.
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _fill(value: Any, level: int, shape: list[int], dtype: int, out: list) -> None:
    # FillTensorProto: check the structure against `shape`, collecting leaves.
    rank = len(shape)
    if not isinstance(value, list):
        if level != rank:
            raise invalid_argument(
                f"JSON Value: {_quote(value)} found at incorrect level: {level + 1} in the "
                f"JSON DOM. Expected at level: {rank}"
            )
        if isinstance(value, dict):
            if dtype != types_pb2.DT_STRING:
                raise _type_error(value, dtype)
            out.append(_decode_b64_object(value))
        else:
            out.append(_scalar(value, dtype))
        return
    if level >= rank:
        raise invalid_argument(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(value) != shape[level]:
        raise invalid_argument(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {shape[level]}"
        )
    for element in value:
        _fill(element, level + 1, shape, dtype, out)


def _scalar(value: Any, dtype: int) -> Any:
    # AddValueToTensor: which JSON values each dtype accepts.
    if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
        if not _is_number(value):
            raise _type_error(value, dtype)
        target = "float" if dtype == types_pb2.DT_FLOAT else "double"
        if not _is_lossless(value, target):
            raise _lossy_error(value, target)
        return float(value)
    if dtype in (types_pb2.DT_INT32, types_pb2.DT_INT16, types_pb2.DT_INT8, types_pb2.DT_UINT8):
        return _integer(value, dtype, *_INT32)
    if dtype == types_pb2.DT_INT64:
        return _integer(value, dtype, *_INT64)
    if dtype == types_pb2.DT_UINT32:
        return _integer(value, dtype, 0, 2**32 - 1)
    if dtype == types_pb2.DT_UINT64:
        return _integer(value, dtype, 0, _UINT64_MAX)
    if dtype == types_pb2.DT_BOOL:
        if not isinstance(value, bool):
            raise _type_error(value, dtype)
        return value
    if dtype == types_pb2.DT_STRING:
        if not isinstance(value, str):
            raise _type_error(value, dtype)
        return value.encode("utf-8")
    raise ServingError(
        Code.UNIMPLEMENTED,
        f"Conversion of JSON Value: {_quote(value)} to type: {dtype_name(dtype)}",
    )


def _integer(value: Any, dtype: int, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _type_error(value, dtype)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_lossless(value: Any, target: str) -> bool:
    # IsLosslessDecimal: integers must be exact, decimals within range.
    max_int = _FLOAT32_MAX_INT if target == "float" else _FLOAT64_MAX_INT
    if isinstance(value, int) and -(2**63) <= value <= _UINT64_MAX:
        return abs(value) <= max_int
    number = float(value)
    if not math.isfinite(number):
        return True
    return target == "double" or abs(number) <= _FLOAT32_MAX


def _to_array(values: list, dtype: int, shape: list[int]) -> np.ndarray:
    np_dtype = numpy_dtype(dtype)
    if np_dtype.kind == "O":
        array = np.empty(len(values), dtype=object)
        array[:] = values
    elif dtype in (types_pb2.DT_INT8, types_pb2.DT_INT16, types_pb2.DT_UINT8):
        # Tensor::FromProto narrows int_val values the way a C++ cast does.
        array = np.array(values, dtype=np.int64).astype(np_dtype)
    else:
        array = np.array(values, dtype=np_dtype)
    return array.reshape(shape)


def _is_b64_object(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_B64), str)


def _is_named_object(value: Any) -> bool:
    return isinstance(value, dict) and not _is_b64_object(value)


def _decode_b64_object(value: Any) -> bytes:
    if not _is_b64_object(value):
        raise invalid_argument(
            f"JSON Value: {_quote(value)} not formatted correctly for base64 data"
        )
    return decode_base64(value[_B64])


def decode_base64(text: str) -> bytes:
    """Standard-alphabet base64, padding optional (absl::Base64Unescape)."""
    if not _B64_CHARS.fullmatch(text) or len(text.rstrip("=")) % 4 == 1:
        raise invalid_argument("Unable to base64 decode")
    stripped = text.rstrip("=")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid_argument("Unable to base64 decode") from exc


# ---- classify / regress requests --------------------------------------------


def example_input(doc: Mapping[str, Any]) -> input_pb2.Input:
    """The `Input` proto of a classify/regress body (`examples` + optional `context`)."""
    request_input = input_pb2.Input()
    has_context = "context" in doc
    if has_context:
        context = request_input.example_list_with_context.context
        context.CopyFrom(_example_from_json(doc["context"]))
    if "examples" not in doc:
        # TF Serving says "classify" for regress requests too.
        raise _format_error(
            doc, "When method is classify, key 'examples' is expected and was not found"
        )
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise _format_error(doc, "Expecting 'examples' value to be an list/array")
    if not examples:
        raise _format_error(doc, "'examples' value is an empty array")
    target = (
        request_input.example_list_with_context.examples
        if has_context
        else request_input.example_list.examples
    )
    for value in examples:
        target.add().CopyFrom(_example_from_json(value))
    return request_input


def _example_from_json(value: Any) -> example_pb2.Example:
    if not isinstance(value, dict):
        raise invalid_argument(f"Example must be JSON object but got JSON {_json_type(value)}")
    example = example_pb2.Example()
    for name, content in value.items():
        feature = feature_pb2.Feature()
        for element in content if isinstance(content, list) else [content]:
            _add_feature_value(element, name, feature)
        example.features.feature[name].CopyFrom(feature)
    return example


def _add_feature_value(value: Any, name: str, feature: feature_pb2.Feature) -> None:
    # AddValueToFeature: JSON ints are int64, decimals float, strings bytes.
    if (
        value is None
        or isinstance(value, list)
        or (isinstance(value, dict) and not _is_b64_object(value))
    ):
        raise invalid_argument(
            f"Feature: {name} has element with unexpected JSON type: {_json_type(value)}"
        )
    if isinstance(value, bool):
        _feature_list(feature, name, "int64_list").append(1 if value else 0)
    elif isinstance(value, dict):
        _feature_list(feature, name, "bytes_list").append(_decode_b64_object(value))
    elif isinstance(value, str):
        _feature_list(feature, name, "bytes_list").append(value.encode("utf-8"))
    elif isinstance(value, float) or value > _UINT64_MAX or value < _INT64[0]:
        values = _feature_list(feature, name, "float_list")
        if not _is_lossless(value, "float"):
            raise _lossy_error(value, "float")
        values.append(float(value))
    else:
        values = _feature_list(feature, name, "int64_list")
        if value > _INT64[1]:
            raise invalid_argument(f"Feature: {name} has uint64 element. Only int64 is supported.")
        values.append(value)


def _feature_list(feature: feature_pb2.Feature, name: str, kind: str):
    current = feature.WhichOneof("kind")
    if current not in (None, kind):
        expecting = {"bytes_list": "bytes", "float_list": "float", "int64_list": "int64"}
        raise invalid_argument(
            f"Unexpected element type in feature: {name} expecting type: {expecting[current]}"
        )
    return getattr(feature, kind).value


# ---- responses --------------------------------------------------------------


def predict_response(request_format: str, outputs: Mapping[str, np.ndarray]) -> str:
    """The `predictions` (row) or `outputs` (columnar) body for output tensors."""
    if not outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    if request_format == COLUMNAR:
        values = {name: _json_values(name, outputs[name]) for name in names}
        body = values[names[0]] if len(names) == 1 else values
        return dumps({"outputs": body})
    batch_size = None
    for name in names:
        array = outputs[name]
        if array.ndim == 0:
            raise invalid_argument(f"Tensor name: {name} has no shape information ")
        if batch_size is not None and array.shape[0] != batch_size:
            raise invalid_argument(
                f"Tensor name: {name} has inconsistent batch size: {array.shape[0]} "
                f"expecting: {batch_size}"
            )
        batch_size = array.shape[0]
    rows = {name: _json_values(name, outputs[name]) for name in names}
    if len(names) == 1:
        return dumps({"predictions": rows[names[0]]})
    return dumps(
        {"predictions": [{name: rows[name][i] for name in names} for i in range(batch_size)]}
    )


def classify_response(results: list[list[tuple[str, float]]]) -> str:
    """`{"results": [[[label, score], ...], ...]}`."""
    if not results:
        raise invalid_argument("Cannot convert empty ClassificationResults to JSON")
    body = [[[label, _float32(score)] for label, score in classes] for classes in results]
    return dumps({"results": body})


def regress_response(values: list[float]) -> str:
    """`{"results": [value, ...]}`."""
    if not values:
        raise invalid_argument("Cannot convert empty RegressionResults to JSON")
    return dumps({"results": [_float32(v) for v in values]})


def error_body(message: str) -> str:
    """`{"error": message}`."""
    return dumps({"error": message})


def proto_body(message, preserve_names: bool = False) -> dict:
    """A proto as TF Serving prints it: default values included, int64 as strings."""
    return json_format.MessageToDict(
        message,
        including_default_value_fields=True,
        preserving_proto_field_name=preserve_names,
    )


def dumps(value: Any) -> str:
    """Serialises a JSON value with `NaN`/`Infinity` as bare tokens."""
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def _json_values(name: str, array: np.ndarray) -> Any:
    kind = array.dtype.kind
    if array.dtype == np.float32 or array.dtype == np.float16:
        # Shortest decimal that round-trips the float32, as WriteDecimal does.
        return array.astype(str).astype(np.float64).tolist()
    if kind in "fiub":
        return array.tolist()
    if kind in "OSU":
        as_bytes = name.endswith(_BYTES_SUFFIX)
        flat = [_json_string(v, as_bytes) for v in array.ravel().tolist()]
        strings = np.empty(len(flat), dtype=object)
        strings[:] = flat
        return strings.reshape(array.shape).tolist()
    raise invalid_argument(f"Failed to write JSON value for tensor type: {array.dtype}")


def _json_string(value: Any, as_bytes: bool) -> Any:
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    if as_bytes:
        return {_B64: base64.b64encode(raw).decode("ascii")}
    return raw.decode("utf-8", errors="replace")


def _float32(value: float) -> float:
    return float(str(np.float32(value)))


# ---- error helpers ------------------------------------------------------------


def _format_error(value: Any, message: str) -> ServingError:
    return invalid_argument(f"JSON Value: {_quote(value)} {message}")


def _type_error(value: Any, dtype: int) -> ServingError:
    return invalid_argument(
        f"JSON Value: {_quote(value)} Type: {_json_type(value)} is not of expected type: "
        f"{dtype_name(dtype)}"
    )


def _lossy_error(value: Any, target: str) -> ServingError:
    return invalid_argument(
        f"Cannot convert JSON value: {_quote(value)} to {target} without loss of precision."
    )


def _quote(value: Any) -> str:
    text = json.dumps(value, indent=4, ensure_ascii=False, allow_nan=True)
    if len(text.encode("utf-8")) > _MAX_QUOTED_JSON:
        text = text.encode("utf-8")[:_MAX_QUOTED_JSON].decode("utf-8", errors="ignore") + "..."
    return text


def _shape_str(shape: list[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _json_type(value: Any) -> str:
    if value is None:
        return "Null"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"
