"""Canonical error codes and their HTTP / gRPC mappings, as TensorFlow Serving uses them.

Every failure inside the server is a `ServingError` carrying a canonical code
(the `tensorflow.error.Code` numbering) and TF Serving's message text, so the
REST and gRPC front ends only translate, never reinterpret.
"""

from __future__ import annotations

import enum


class Code(enum.IntEnum):
    """The canonical status codes (`tensorflow.error.Code` / `google.rpc.Code`)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


# http_server.cc ToHTTPStatusCode.
_HTTP_STATUS = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}


class ServingError(Exception):
    """A request or load failure with a canonical code and TF Serving's message."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = Code(code)
        self.message = message

    def __str__(self) -> str:
        # Status::ToString() in TF 2.16, used when one error is nested in another.
        return f"{self.code.name}: {self.message}"

    @property
    def http_status(self) -> int:
        """The HTTP status the REST API answers with for this error."""
        return _HTTP_STATUS[self.code]


def invalid_argument(message: str) -> ServingError:
    """An INVALID_ARGUMENT error (HTTP 400)."""
    return ServingError(Code.INVALID_ARGUMENT, message)


def not_found(message: str) -> ServingError:
    """A NOT_FOUND error (HTTP 404)."""
    return ServingError(Code.NOT_FOUND, message)


def failed_precondition(message: str) -> ServingError:
    """A FAILED_PRECONDITION error (HTTP 400)."""
    return ServingError(Code.FAILED_PRECONDITION, message)


def unimplemented(message: str) -> ServingError:
    """An UNIMPLEMENTED error (HTTP 501)."""
    return ServingError(Code.UNIMPLEMENTED, message)


def as_serving_error(exc: BaseException) -> ServingError:
    """Converts any exception raised while serving into a `ServingError`.

    TensorFlow's `OpError`s carry a canonical `error_code` and the kernel's
    message, which is what TF Serving returns verbatim; they are recognised by
    those attributes so this module does not import TensorFlow.
    """
    if isinstance(exc, ServingError):
        return exc
    code = getattr(exc, "error_code", None)
    message = getattr(exc, "message", None)
    if isinstance(code, int) and isinstance(message, str) and code in Code._value2member_map_:
        return ServingError(Code(code), message)
    return ServingError(Code.INTERNAL, f"{type(exc).__name__}: {exc}")
