"""Conversions between numpy arrays and `TensorProto`s, and DataType helpers."""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from serving.errors import invalid_argument

# The typed repeated field `Tensor::AsProtoField` fills for each dtype. TF
# Serving answers Predict with these (not tensor_content), and so do we.
_VALUE_FIELD = {
    types_pb2.DT_FLOAT: "float_val",
    types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val",
    types_pb2.DT_INT16: "int_val",
    types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT8: "int_val",
    types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT64: "int64_val",
    types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val",
    types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_STRING: "string_val",
    types_pb2.DT_HALF: "half_val",
    types_pb2.DT_BFLOAT16: "half_val",
    types_pb2.DT_COMPLEX64: "scomplex_val",
    types_pb2.DT_COMPLEX128: "dcomplex_val",
}


def dtype_name(dtype: int) -> str:
    """`DataTypeString`: the name TF uses in messages (`float`, `int64`, `string`...)."""
    try:
        return types_pb2.DataType.Name(dtype).removeprefix("DT_").lower()
    except ValueError:
        return f"unknown dtype {dtype}"


@functools.cache
def numpy_dtype(dtype: int) -> np.dtype:
    """The numpy dtype that holds values of a TF `DataType` enum value."""
    if dtype == types_pb2.DT_STRING:
        return np.dtype(object)
    return np.dtype(tf.dtypes.as_dtype(dtype).as_numpy_dtype)


def datatype_of(array: np.ndarray) -> int:
    """The TF `DataType` enum value of a numpy array (object arrays are strings)."""
    return _datatype_of_dtype(array.dtype)


@functools.cache
def _datatype_of_dtype(dtype: np.dtype) -> int:
    if dtype.kind in "OSU":
        return types_pb2.DT_STRING
    return tf.dtypes.as_dtype(dtype).as_datatype_enum


# The dtypes requests carry, decoded here without `tf.make_ndarray`: it compares
# TensorFlow DType objects about 200 times per call, which was half the server's
# own time on a 16-feature Predict. Other dtypes take TensorFlow's path.
_FAST_DTYPES = {
    types_pb2.DT_FLOAT: ("float_val", np.float32),
    types_pb2.DT_DOUBLE: ("double_val", np.float64),
    types_pb2.DT_INT32: ("int_val", np.int32),
    types_pb2.DT_INT64: ("int64_val", np.int64),
    types_pb2.DT_BOOL: ("bool_val", np.bool_),
}


def to_ndarray(proto: tensor_pb2.TensorProto, alias: str) -> np.ndarray:
    """Decodes a request `TensorProto` (typed fields or tensor_content), with
    `tf.make_ndarray`'s semantics: too few values repeat the last, none give zeros."""
    try:
        fast = _fast_ndarray(proto)
        return fast if fast is not None else tf.make_ndarray(proto)
    except Exception as exc:  # malformed protos raise many kinds of errors
        raise invalid_argument(f"tensor parsing error: {alias}") from exc


def _fast_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray | None:
    # Plain Python for the shape and a list() of the repeated field: numpy's own
    # reductions and sequence conversion cost more than the values for a few rows.
    shape = [d.size for d in proto.tensor_shape.dim]
    count = math.prod(shape)
    if proto.dtype == types_pb2.DT_STRING and not proto.tensor_content:
        return _string_array(list(proto.string_val), count, shape)
    known = _FAST_DTYPES.get(proto.dtype)
    if known is None:
        return None
    field, dtype = known
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dtype).copy().reshape(shape)
    values = getattr(proto, field)
    if len(values) == count:
        return np.array(list(values), dtype=dtype).reshape(shape)
    if not values:
        return np.zeros(shape, dtype)
    if len(values) > count:
        raise ValueError(f"{len(values)} values for {count} elements")
    return np.pad(np.array(list(values), dtype=dtype), (0, count - len(values)), "edge").reshape(
        shape
    )


def _string_array(values: list, count: int, shape: list[int]) -> np.ndarray:
    if count > len(values):
        values.extend([values[-1] if values else ""] * (count - len(values)))
    return np.array(values, dtype=object).reshape(shape)


def to_tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """Encodes an output array the way `Tensor::AsProtoField` does."""
    array = np.asarray(array)
    dtype = datatype_of(array)
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape_proto(array.shape))
    field = _VALUE_FIELD.get(dtype)
    if field is None:
        proto.tensor_content = array.tobytes()
        return proto
    flat = array.ravel()
    if dtype == types_pb2.DT_STRING:
        values = [v if isinstance(v, bytes) else str(v).encode() for v in flat]
    elif dtype in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        values = flat.view(np.uint16).tolist()
    elif dtype in (types_pb2.DT_COMPLEX64, types_pb2.DT_COMPLEX128):
        values = np.stack([flat.real, flat.imag], axis=-1).ravel().tolist()
    else:
        values = flat.tolist()
    getattr(proto, field).extend(values)
    return proto


def shape_proto(shape: tuple[int, ...]) -> tensor_shape_pb2.TensorShapeProto:
    """A `TensorShapeProto` for a concrete shape."""
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in shape]
    )
