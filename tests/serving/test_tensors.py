"""Request tensors decode exactly as `tf.make_ndarray` decodes them, on its fast path too."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from serving.errors import ServingError
from serving.tensors import to_ndarray

FIELDS = {
    types_pb2.DT_FLOAT: ("float_val", [1.5, -2.0, 3.25]),
    types_pb2.DT_DOUBLE: ("double_val", [1e300, -2.5, 0.0]),
    types_pb2.DT_INT32: ("int_val", [7, -8, 9]),
    types_pb2.DT_INT64: ("int64_val", [2**40, -1, 3]),
    types_pb2.DT_BOOL: ("bool_val", [True, False, True]),
    types_pb2.DT_STRING: ("string_val", [b"a", b"", b"\xff\x00"]),
    types_pb2.DT_HALF: ("half_val", [15360, 16384, 0]),  # TensorFlow's path
}


def _proto(dtype: int, shape: list[int], values: list) -> tensor_pb2.TensorProto:
    proto = tensor_pb2.TensorProto(dtype=dtype)
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    getattr(proto, FIELDS[dtype][0]).extend(values)
    return proto


CASES = [
    pytest.param(dtype, shape, n, id=f"{types_pb2.DataType.Name(dtype)}-{shape}-{n}")
    for dtype, shape, n in itertools.product(FIELDS, [[], [3], [3, 1], [1, 3], [2, 3]], [0, 1, 3])
    if n <= int(np.prod(shape))
]


@pytest.mark.parametrize(("dtype", "shape", "count"), CASES)
def test_typed_values_decode_as_tensorflow_does(dtype, shape, count):
    proto = _proto(dtype, shape, FIELDS[dtype][1][:count])
    expected = tf.make_ndarray(proto)
    found = to_ndarray(proto, "x")
    assert found.dtype == expected.dtype and found.shape == expected.shape
    assert found.tolist() == expected.tolist()


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.arange(4, dtype=np.int64),
        np.array([True, False]),
    ],
)
def test_tensor_content_decodes_as_tensorflow_does(array):
    proto = tf.make_tensor_proto(array)
    proto.ClearField("float_val")
    proto.tensor_content = array.tobytes()
    found = to_ndarray(proto, "x")
    np.testing.assert_array_equal(found, tf.make_ndarray(proto))
    assert found.flags.writeable, "a copy, not a view of the request's bytes"


def test_more_values_than_elements_is_a_parsing_error():
    proto = _proto(types_pb2.DT_FLOAT, [2], [1.0, 2.0, 3.0])
    with pytest.raises(ServingError, match="tensor parsing error: x"):
        to_ndarray(proto, "x")
