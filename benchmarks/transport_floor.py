"""A server that answers Predict without doing any work: the transports' floor.

`serving_bench.py` starts it beside `python -m serving` and times it with the
same clients, so each run shows how much of a served request's latency is the
transport alone (client, loopback, grpc.aio or uvicorn with Starlette, as the
real server uses them) and how much is the server's own work. It answers every
Predict with a fixed response shaped like the real one (one float per output),
and the model status route with AVAILABLE so the benchmark's readiness check
passes.

    python benchmarks/transport_floor.py --port P --rest_api_port Q --model_name M --output O
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading

import grpc
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from serving.tensors import to_tensor_proto

HOST = "127.0.0.1"
VERSION = 1


def predict_response(model: str, output: str) -> predict_pb2.PredictResponse:
    import numpy as np

    response = predict_pb2.PredictResponse()
    response.model_spec.name = model
    response.model_spec.version.value = VERSION
    response.model_spec.signature_name = "serving_default"
    response.outputs[output].CopyFrom(to_tensor_proto(np.array([[0.5]], np.float32)))
    return response


class FixedPrediction(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, response: predict_pb2.PredictResponse) -> None:
        self._response = response

    async def Predict(self, request, context):
        return self._response


async def serve_grpc(host: str, port: int, response: predict_pb2.PredictResponse) -> None:
    server = grpc.aio.server()
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        FixedPrediction(response), server
    )
    server.add_insecure_port(f"{host}:{port}")
    await server.start()
    await server.wait_for_termination()


def rest_app(model: str) -> Starlette:
    predict_body = json.dumps({"predictions": [[0.5]]}).encode()
    status_body = json.dumps(
        {"model_version_status": [{"version": str(VERSION), "state": "AVAILABLE"}]}
    ).encode()

    async def predict(request: Request) -> Response:
        await request.body()
        return Response(predict_body, media_type="application/json")

    async def status(request: Request) -> Response:
        return Response(status_body, media_type="application/json")

    return Starlette(
        routes=[
            Route(f"/v1/models/{model}:predict", predict, methods=["POST"]),
            Route(f"/v1/models/{model}", status, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rest_api_port", type=int, required=True)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    response = predict_response(args.model_name, args.output)
    # gRPC on a loop of its own in a thread, REST on the main thread's, as the server runs them.
    threading.Thread(
        target=asyncio.run, args=(serve_grpc(args.host, args.port, response),), daemon=True
    ).start()
    uvicorn.run(
        rest_app(args.model_name),
        host=args.host,
        port=args.rest_api_port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
