"""Protobuf wire encoding by hand, for the few messages the request log assembles.

The request log writes every sampled request; building those records as
protobuf messages costs ~0.3-0.4 ms of CPU each with the installed protobuf
(maps of TensorProtos are slow to fill and to serialize), which a busy server
pays in throughput (docs/benchmarks.md, "Request logging"). Encoding is
concatenation: a length-delimited field is its tag, its length and its bytes.
Field numbers are read from the generated descriptors, never written down.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from serving.tensors import datatype_of, to_tensor_proto

_VARINT, _LENGTH_DELIMITED = 0, 2  # wire types


def number(message_type, field_name: str) -> int:
    """The field number of `message_type.field_name`, from its descriptor."""
    return message_type.DESCRIPTOR.fields_by_name[field_name].number


_TENSOR_DTYPE = number(tensor_pb2.TensorProto, "dtype")
_TENSOR_SHAPE = number(tensor_pb2.TensorProto, "tensor_shape")
_STRING_VAL = number(tensor_pb2.TensorProto, "string_val")
_SHAPE_DIM = number(tensor_shape_pb2.TensorShapeProto, "dim")
_DIM_SIZE = number(tensor_shape_pb2.TensorShapeProto.Dim, "size")
_MAP_KEY, _MAP_VALUE = 1, 2  # every protobuf map entry is {key = 1, value = 2}


def field(field_number: int, payload: bytes) -> bytes:
    """A length-delimited field (bytes, string or message)."""
    return _tag(field_number, _LENGTH_DELIMITED) + varint(len(payload)) + payload


def varint_field(field_number: int, value: int) -> bytes:
    """A non-negative integer or enum field."""
    return _tag(field_number, _VARINT) + varint(value)


_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


def varint(value: int) -> bytes:
    """Base-128 varint of a non-negative integer."""
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@functools.cache
def _tag(field_number: int, wire_type: int) -> bytes:
    return varint(field_number << 3 | wire_type)


def tensor_map(field_number: int, arrays: Mapping[str, np.ndarray]) -> bytes:
    """A `map<string, TensorProto>` field (e.g. PredictRequest.inputs)."""
    # `field` spelled out, each tag looked up once per map: this runs per logged record.
    tag = _tag(field_number, _LENGTH_DELIMITED)
    parts = []
    for name, array in arrays.items():
        value = tensor(array)
        entry = _map_key(name) + _MAP_VALUE_TAG + varint(len(value)) + value
        parts.append(tag + varint(len(entry)) + entry)
    return b"".join(parts)


def tensor(array: np.ndarray) -> bytes:
    """A `TensorProto` of an array, byte for byte what `serving.tensors.to_tensor_proto`
    serializes to (`Tensor::AsProtoField`: the typed repeated field of its dtype)."""
    if not isinstance(array, np.ndarray):
        array = np.asarray(array)
    header, value_tag, encode = _layout(array.dtype, array.shape)
    if encode is None:  # rare dtypes (half, complex): the message path
        return to_tensor_proto(array).SerializeToString()
    if array.size == 0:
        return header
    values = encode(array.ravel())
    if value_tag is None:  # strings: one field per value
        return header + values
    return header + value_tag + varint(len(values)) + values


def _fixed(little_endian: str):
    return lambda flat: flat.astype(little_endian, copy=False).tobytes()


def _varints(flat: np.ndarray) -> bytes:
    # Negative integers are varints of their 64-bit two's complement, as protobuf does.
    return b"".join([varint(v & _UINT64_MASK) for v in flat.tolist()])


def _strings(flat: np.ndarray) -> bytes:
    return b"".join([field(_STRING_VAL, _as_bytes(v)) for v in flat.tolist()])


_UINT64_MASK = (1 << 64) - 1
# dtype -> (the TensorProto field its values go in, how to encode them)
_VALUE_FIELDS = {
    types_pb2.DT_FLOAT: ("float_val", _fixed("<f4")),
    types_pb2.DT_DOUBLE: ("double_val", _fixed("<f8")),
    types_pb2.DT_BOOL: ("bool_val", _fixed("u1")),  # 0/1: one-byte varints
    types_pb2.DT_INT32: ("int_val", _varints),
    types_pb2.DT_INT16: ("int_val", _varints),
    types_pb2.DT_INT8: ("int_val", _varints),
    types_pb2.DT_UINT8: ("int_val", _varints),
    types_pb2.DT_UINT16: ("int_val", _varints),
    types_pb2.DT_INT64: ("int64_val", _varints),
    types_pb2.DT_UINT32: ("uint32_val", _varints),
    types_pb2.DT_UINT64: ("uint64_val", _varints),
    types_pb2.DT_STRING: ("string_val", _strings),
}
_MAP_VALUE_TAG = varint(_MAP_VALUE << 3 | _LENGTH_DELIMITED)


# Requests repeat the same few names, dtypes and shapes: their bytes are kept.
@functools.lru_cache(maxsize=4096)
def _map_key(name: str) -> bytes:
    return field(_MAP_KEY, name.encode())


@functools.lru_cache(maxsize=4096)
def _layout(dtype: np.dtype, shape: tuple[int, ...]) -> tuple[bytes, bytes | None, Callable | None]:
    """For arrays of this dtype and shape: the dtype and shape fields, the tag of the
    packed values field (None for strings, whose values are one field each), and the
    values' encoder (None for dtypes left to the message path)."""
    datatype = datatype_of(np.empty(0, dtype))
    if datatype not in _VALUE_FIELDS:
        return b"", None, None
    # proto3 leaves a field at its default (a 0 size) out of the bytes.
    dims = b"".join(field(_SHAPE_DIM, varint_field(_DIM_SIZE, d) if d else b"") for d in shape)
    header = varint_field(_TENSOR_DTYPE, datatype) + field(_TENSOR_SHAPE, dims)
    value_field, encode = _VALUE_FIELDS[datatype]
    if datatype == types_pb2.DT_STRING:
        return header, None, encode
    return header, _tag(number(tensor_pb2.TensorProto, value_field), _LENGTH_DELIMITED), encode


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
