"""The `/v1` REST API: TF Serving's request routing and handlers, transport-free.

Paths are matched with TF Serving's own regular expressions
(http_rest_api_util.cc), so the same URLs work and the same ones are
rejected with `Malformed request: {METHOD} {path}`. Every answer is JSON:
the result, or `{"error": message}` with the status code of the error.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from urllib.parse import unquote

from tensorflow_serving.apis import model_pb2

from serving import inference, json_codec, prediction_log
from serving.errors import Code, ServingError, as_serving_error, invalid_argument
from serving.inference import Runner
from serving.repository import ModelRepository
from serving.request_log import RequestLogger

_SPEC = r"(?:(?:/versions/([0-9]+))|(?:/labels/([^/:]+)))?"
_PREDICTION_PATH = re.compile(
    r"/v1/models/([^/:]+)" + _SPEC + r":(classify|regress|predict)", re.IGNORECASE
)
_STATUS_PATH = re.compile(r"/v1/models(?:/([^/:]+))?" + _SPEC + r"(?:/(metadata))?", re.IGNORECASE)
_INT64_MAX = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class RestResponse:
    """A REST answer, plus what the metrics need to know about it."""

    status: int
    body: str
    model_name: str = ""
    api: str = ""
    code: Code = Code.OK


@dataclasses.dataclass(frozen=True)
class _Route:
    method: str  # predict | classify | regress | metadata | status
    model_name: str
    version: int | None
    label: str | None


class RestApiHandler:
    """Answers `/v1` requests the way TF Serving's HttpRestApiHandler does."""

    def __init__(
        self,
        repository: ModelRepository,
        runner: Runner,
        timeout_ms: int = 0,
        check_method_names: bool = False,
        request_log: RequestLogger | None = None,
    ) -> None:
        self._repository = repository
        self._runner = runner
        self._timeout_ms = timeout_ms if timeout_ms > 0 else None
        self._check_method = check_method_names
        self._request_log = request_log

    def runs_inline(self, body_bytes: int) -> bool:
        """Whether a request with this body is answered on the event loop that got it."""
        return inference.runs_inline(self._runner, body_bytes)

    def handle(self, http_method: str, path: str, body: bytes) -> RestResponse:
        """Routes and answers one request; never raises."""
        route = None
        try:
            route = _route(http_method, path)
            if route is None:
                raise invalid_argument(f"Malformed request: {http_method} {path}")
            return RestResponse(
                200, self._dispatch(route, body), route.model_name, route.method, Code.OK
            )
        except Exception as exc:
            error = as_serving_error(exc)
            name, api = (route.model_name, route.method) if route else ("", "")
            return RestResponse(
                error.http_status, json_codec.error_body(error.message), name, api, error.code
            )

    def _dispatch(self, route: _Route, body: bytes) -> str:
        if route.method == "status":
            return self._status(route)
        if route.method == "metadata":
            return self._metadata(route)
        if route.method == "predict":
            return self._predict(route, body)
        return self._classify_or_regress(route, body)

    def _status(self, route: _Route) -> str:
        if not route.model_name:
            raise invalid_argument("Missing model name in request.")
        # TF Serving ignores a /labels/ part here and lists every version.
        statuses = self._repository.status(route.model_name, route.version)
        return json_codec.dumps(json_codec.proto_body(inference.status_response(statuses)))

    def _metadata(self, route: _Route) -> str:
        if not route.model_name:
            raise invalid_argument("Missing model name in request.")
        with self._repository.lease(route.model_name, route.version, route.label) as servable:
            spec = model_pb2.ModelSpec(name=servable.name)
            spec.version.value = servable.version
            signatures = inference.signature_def_map(servable)
        body = {
            "model_spec": json_codec.proto_body(spec, preserve_names=True),
            "metadata": {"signature_def": json_codec.proto_body(signatures, preserve_names=True)},
        }
        return json_codec.dumps(body)

    def _predict(self, route: _Route, body: bytes) -> str:
        doc = json_codec.parse_request(body)
        signature_name = json_codec.signature_name(doc)
        with self._repository.lease(route.model_name, route.version, route.label) as servable:
            resolved = inference.resolve_signature_name(signature_name)
            if resolved not in servable.signature_defs:
                raise invalid_argument(
                    f'Serving signature name: "{resolved}" not found in signature def'
                )
            dtypes = servable.input_dtypes(resolved)
            if not dtypes:
                raise invalid_argument(
                    f"Failed to get input map for signature: {signature_name or 'DEFAULT'}"
                )
            request_format, inputs = json_codec.predict_inputs(doc, dtypes)
            result = inference.predict(
                self._runner, servable, signature_name, inputs, timeout_ms=self._timeout_ms
            )
            version = servable.version
        answer = json_codec.predict_response(request_format, result.value)
        # Only once the answer is sure: requests that fail are not logged.
        self._log(
            route,
            prediction_log.RestPredict(
                _requested(route, signature_name),
                (route.model_name, version, result.signature_name),
                body,
                dtypes,
                result.value,
            ),
        )
        return answer

    def _classify_or_regress(self, route: _Route, body: bytes) -> str:
        doc = json_codec.parse_request(body)
        signature_name = json_codec.signature_name(doc)
        request_input = json_codec.example_input(doc)
        with self._repository.lease(route.model_name, route.version, route.label) as servable:
            run = inference.classify if route.method == "classify" else inference.regress
            result = run(
                self._runner,
                servable,
                signature_name,
                request_input,
                self._timeout_ms,
                check_method=self._check_method,
            )
            version = servable.version
        if route.method == "classify":
            answer = json_codec.classify_response(result.value)
            to_record = prediction_log.rest_classify
        else:
            answer = json_codec.regress_response(result.value)
            to_record = prediction_log.rest_regress
        self._log(
            route,
            functools.partial(
                to_record,
                prediction_log.requested_spec(*_requested(route, signature_name)),
                request_input,
                prediction_log.answered_spec_of(route.model_name, version, result.signature_name),
                result.value,
            ),
        )
        return answer

    def _log(self, route: _Route, build: Callable[[], prediction_log.PredictionLog]) -> None:
        """Hands a successful request to the request log (which samples it, or not)."""
        if self._request_log is not None:
            self._request_log.maybe_log(route.model_name, build)


def _requested(route: _Route, signature_name: str) -> tuple:
    """What `prediction_log.requested_spec` needs to know of the request."""
    return route.model_name, route.version, route.label, signature_name


def _route(http_method: str, path: str) -> _Route | None:
    """ParseModelInfo: which API a method and path ask for, or None."""
    if http_method == "POST":
        match = _PREDICTION_PATH.fullmatch(path)
        if match is None or match.group(4) not in ("classify", "regress", "predict"):
            return None
        name, version, label, method = match.groups()
    elif http_method == "GET":
        match = _STATUS_PATH.fullmatch(path)
        if match is None:
            return None
        name, version, label, subresource = match.groups()
        method = "metadata" if subresource == "metadata" else "status"
    else:
        return None
    return _Route(
        method=method,
        model_name=unquote(name or ""),
        version=_parse_version(version),
        label=unquote(label) if label else None,
    )


def _parse_version(text: str | None) -> int | None:
    if not text:
        return None
    version = int(text)
    if version > _INT64_MAX:
        raise ServingError(Code.INVALID_ARGUMENT, f"Failed to convert version: {text} to numeric.")
    return version
