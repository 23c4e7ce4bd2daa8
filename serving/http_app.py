"""The HTTP side of the REST API: a Starlette app served by uvicorn.

It owns what TF Serving's HTTP server does around the handler: `/v1` paths go
to the REST handler, the Prometheus page is served at its configured path,
anything else is a 404 (HTML, as libevent answers), CORS preflights, gzip
request bodies, and the request size limit. Small unbatched requests are
answered on the event loop, others on a worker thread
(`serving.inference.runs_inline`).

The size limit (`--max_body_bytes`) applies to the body as the handler sees
it, i.e. after gzip decompression, so a small compressed body cannot expand
into an unbounded one. An oversize body is refused with 413 and a JSON
`{"error": ...}` body; TF Serving has no such flag (it caps gzip bodies at
100 MB), so the default here is that same 100 MiB.
"""

from __future__ import annotations

import html
import re
import time
import zlib
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serving import json_codec
from serving.config import MonitoringSettings
from serving.metrics import CONTENT_TYPE, ServingMetrics
from serving.options import DEFAULT_MAX_BODY_BYTES
from serving.rest_handler import RestApiHandler

_API_PATH = re.compile(r"/v1/.*", re.IGNORECASE | re.DOTALL)
_JSON = "application/json"
# Every method reaches the handler, which answers TF Serving's "Malformed request".
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET",
    "Access-Control-Allow-Headers": "Content-Type",
}
_NOT_FOUND_PAGE = (
    "<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n"
    "The requested URL {path} was not found on this server.</BODY></HTML>\n"
)


class _BodyTooLarge(Exception):
    pass


class _BadBody(Exception):
    pass


def create_app(
    handler: RestApiHandler,
    metrics: ServingMetrics,
    monitoring: MonitoringSettings,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    enable_cors: bool = False,
) -> Starlette:
    """Builds the ASGI app; `max_body_bytes <= 0` means no limit."""
    routes = []
    if monitoring.prometheus_enabled:
        routes.append(
            Route(monitoring.prometheus_path, _metrics_endpoint(metrics), methods=["GET"])
        )
    routes.append(
        Route(
            "/{path:path}",
            _api_endpoint(handler, metrics, max_body_bytes, enable_cors),
            methods=_ALL_METHODS,
        )
    )
    return Starlette(routes=routes)


def _metrics_endpoint(metrics: ServingMetrics) -> Callable:
    async def endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return endpoint


def _api_endpoint(
    handler: RestApiHandler, metrics: ServingMetrics, max_body_bytes: int, enable_cors: bool
) -> Callable:
    async def endpoint(request: Request) -> Response:
        path = _raw_path(request)
        if not _API_PATH.fullmatch(path):
            page = _NOT_FOUND_PAGE.format(path=html.escape(path))
            return Response(page, 404, media_type="text/html")
        headers = dict(_CORS_HEADERS) if enable_cors else {}
        if request.method == "OPTIONS":
            # CORS preflight: TF Serving answers 200 with an Origin, else 400, both empty.
            status = 200 if request.headers.get("origin") else 400
            return Response(b"", status, headers=headers, media_type=_JSON)
        try:
            body = await _read_body(request, max_body_bytes)
        except _BodyTooLarge:
            message = (
                f"Request body is larger than the limit of {max_body_bytes} bytes "
                "(--max_body_bytes)."
            )
            return _json_response(413, json_codec.error_body(message), headers)
        except _BadBody as exc:
            return _json_response(400, json_codec.error_body(str(exc)), headers)
        started = time.perf_counter()
        if handler.runs_inline(len(body)):
            answer = handler.handle(request.method, path, body)
        else:
            answer = await run_in_threadpool(handler.handle, request.method, path, body)
        if answer.api in ("predict", "classify", "regress"):
            metrics.record_request(
                answer.model_name,
                answer.api,
                "REST",
                answer.code.name,
                time.perf_counter() - started,
            )
        return _json_response(answer.status, answer.body, headers)

    return endpoint


def _json_response(status: int, body: str, headers: dict[str, str]) -> Response:
    return Response(body.encode("utf-8"), status, headers=headers, media_type=_JSON)


def _raw_path(request: Request) -> str:
    # TF Serving matches the undecoded path and URL-decodes names itself.
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    return path.split("?", 1)[0]


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if so encoded, within `limit` bytes."""
    declared = request.headers.get("content-length", "")
    gzipped = request.headers.get("content-encoding", "").strip().lower() == "gzip"
    if limit > 0 and not gzipped and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    chunks: list[bytes] = []
    size = received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if inflater is not None:
            # One byte past the room left is enough to see the limit crossed.
            chunk = _inflate(inflater, chunk, limit - size + 1 if limit > 0 else 0)
        size += len(chunk)
        if limit > 0 and size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    if inflater is not None and received and not inflater.eof:
        raise _BadBody("Failed to decompress the gzip request body: truncated stream")
    return b"".join(chunks)


def _inflate(inflater, chunk: bytes, max_length: int) -> bytes:
    try:
        data = inflater.decompress(chunk, max_length)
    except zlib.error as exc:
        raise _BadBody(f"Failed to decompress the gzip request body: {exc}") from exc
    if inflater.unconsumed_tail:
        raise _BodyTooLarge
    return data
