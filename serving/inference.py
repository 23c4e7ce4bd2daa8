"""Predict, Classify, Regress and metadata on one loaded version, protocol-neutral.

Follows TF Serving's predict_util.cc, classifier.cc and regressor.cc: the same
signature checks, the same order of checks and the same messages, so REST and
gRPC (which both call in here) answer like the real server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    input_pb2,
    model_pb2,
)

from models import layout
from serving.errors import Code, ServingError, failed_precondition, invalid_argument
from serving.repository import VersionStatus
from serving.servable import Servable
from serving.tensors import to_ndarray

DEFAULT_SIGNATURE = layout.SERVING_SIGNATURE
PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
_INPUTS, _CLASSES, _SCORES, _OUTPUTS = "inputs", "classes", "scores", "outputs"


class Runner(Protocol):
    """Runs a graph step on a servable (directly, or through the batcher)."""

    def run(
        self,
        servable: Servable,
        feeds: Mapping[str, np.ndarray],
        fetches: Sequence[str],
        timeout_ms: int | None = None,
    ) -> list[np.ndarray]: ...


class DirectRunner:
    """Runs every request on its own `Session::Run`."""

    def run(self, servable, feeds, fetches, timeout_ms=None):
        """Runs the step unbatched."""
        return servable.run(feeds, fetches, timeout_ms)


# Requests up to this size are answered on the server's event loop (see runs_inline).
INLINE_MAX_REQUEST_BYTES = 64 * 1024


def runs_inline(runner: Runner, request_bytes: int) -> bool:
    """Whether a request is answered on the event loop that received it.

    Only unbatched ones (a batched request waits for its neighbours, which
    arrive on that same loop) and small ones, whose decoding and model step
    hold the loop for about a millisecond: less than a handoff to a worker
    thread and back costs.
    """
    return isinstance(runner, DirectRunner) and request_bytes <= INLINE_MAX_REQUEST_BYTES


@dataclasses.dataclass(frozen=True)
class Result:
    """What a call produced, with the signature it resolved to."""

    signature_name: str
    value: object


def resolve_signature_name(name: str) -> str:
    """An empty signature name means `serving_default`."""
    return name or DEFAULT_SIGNATURE


def predict(
    runner: Runner,
    servable: Servable,
    signature_name: str,
    inputs: Mapping[str, np.ndarray],
    output_filter: Sequence[str] = (),
    timeout_ms: int | None = None,
) -> Result:
    """Runs a signature on named input arrays; the value is `{alias: ndarray}`."""
    name = resolve_signature_name(signature_name)
    if name not in servable.signature_defs:
        raise failed_precondition(f'Serving signature key "{name}" not found.')
    signature = servable.signature_defs[name]
    _check_predict_method(signature)
    _check_input_count(signature, inputs)
    feeds = _feeds(signature, inputs)
    aliases = _output_aliases(signature, output_filter)
    fetches = [signature.outputs[alias].name for alias in aliases]
    values = runner.run(servable, feeds, fetches, timeout_ms)
    return Result(name, dict(zip(aliases, values, strict=True)))


def _check_predict_method(signature) -> None:
    if signature.method_name not in (PREDICT_METHOD, CLASSIFY_METHOD, REGRESS_METHOD):
        raise ServingError(
            Code.INTERNAL,
            "Expected prediction signature method_name to be one of "
            f"{{{PREDICT_METHOD}, {CLASSIFY_METHOD}, {REGRESS_METHOD}}}. "
            f"Was: {signature.method_name}",
        )


def _check_input_count(signature, inputs: Mapping) -> None:
    sent, expected = set(inputs), set(signature.inputs)
    too_few = len(sent) < len(expected) and not signature.defaults
    if len(sent) > len(expected) or too_few:
        raise invalid_argument(
            f"input size does not match signature: {len(sent)}!={len(expected)} "
            f"len({{{_join(sent)}}}) != len({{{_join(expected)}}}). "
            f"Sent extra: {{{_join(sent - expected)}}}. "
            f"Missing but required: {{{_join(expected - sent)}}}."
        )


def _feeds(signature, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    feeds = {}
    for alias in sorted(signature.inputs):
        info = signature.inputs[alias]
        if alias in inputs:
            feeds[info.name] = inputs[alias]
        elif alias in signature.defaults:
            feeds[info.name] = to_ndarray(signature.defaults[alias], alias)
        else:
            raise invalid_argument(
                f"Signature input alias: {alias}(feed name: {info.name}) not found in request "
                "and no default value provided. Inputs expected to be in the set "
                f"{{{_join(signature.inputs)}}}."
            )
    return feeds


def _output_aliases(signature, output_filter: Sequence[str]) -> list[str]:
    if not output_filter:
        return sorted(signature.outputs)
    seen: list[str] = []
    for alias in output_filter:
        if alias not in signature.outputs:
            raise invalid_argument(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{_join(signature.outputs)}}}."
            )
        if alias in seen:
            raise invalid_argument(f"duplicate output tensor alias: {alias}")
        seen.append(alias)
    return seen


def classify(
    runner: Runner,
    servable: Servable,
    signature_name: str,
    request_input: input_pb2.Input,
    timeout_ms: int | None = None,
    *,
    check_method: bool = False,
) -> Result:
    """Runs a classify signature; the value is per example a list of (label, score)."""
    name, signature = _typed_signature(
        servable, signature_name, CLASSIFY_METHOD if check_method else None, "classification"
    )
    if len(signature.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(signature.outputs) not in (1, 2):
        raise invalid_argument(
            f"Expected one or two output Tensors, found {len(signature.outputs)}"
        )
    if _INPUTS not in signature.inputs:
        raise failed_precondition(f"No classification inputs found in SignatureDef: {signature}")
    aliases = [a for a in (_CLASSES, _SCORES) if a in signature.outputs]
    if not aliases:
        raise failed_precondition(
            'Expected classification signature outputs to contain at least one of "classes" '
            f'or "scores". Signature was: {signature}'
        )
    examples = serialized_examples(request_input)
    fetches = [signature.outputs[a].name for a in aliases]
    feeds = {signature.inputs[_INPUTS].name: examples}
    values = dict(zip(aliases, runner.run(servable, feeds, fetches, timeout_ms), strict=True))
    return Result(name, _classifications(len(examples), values.get(_CLASSES), values.get(_SCORES)))


def _classifications(num_examples: int, classes, scores) -> list[list[tuple[str, float]]]:
    for tensor, label, dtype in ((classes, "classes", object), (scores, "scores", np.float32)):
        if tensor is None:
            continue
        if tensor.ndim != 2:
            raise invalid_argument(
                f"Expected Tensor shape: [batch_size num_classes] but got {_shape(tensor)}"
            )
        if tensor.dtype != dtype:
            expected = "DT_STRING" if dtype is object else "DT_FLOAT"
            raise invalid_argument(f"Expected {label} Tensor of {expected}. Got: {tensor.dtype}")
        if tensor.shape[0] != num_examples:
            raise invalid_argument(
                f"Expected {label} output batch size of {num_examples}. Got: {tensor.shape[0]}"
            )
    if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
        raise invalid_argument(
            "Tensors class and score should match in dim_size(1). "
            f"Got {classes.shape[1]} vs. {scores.shape[1]}"
        )
    num_classes = (classes if classes is not None else scores).shape[1]
    results = []
    for i in range(num_examples):
        row = []
        for c in range(num_classes):
            label = _label(classes[i, c]) if classes is not None else ""
            score = float(scores[i, c]) if scores is not None else 0.0
            row.append((label, score))
        results.append(row)
    return results


def regress(
    runner: Runner,
    servable: Servable,
    signature_name: str,
    request_input: input_pb2.Input,
    timeout_ms: int | None = None,
    *,
    check_method: bool = False,
) -> Result:
    """Runs a regress signature; the value is one float per example."""
    name, signature = _typed_signature(
        servable, signature_name, REGRESS_METHOD if check_method else None, "regression"
    )
    if len(signature.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(signature.outputs) != 1:
        raise invalid_argument("Expected one output Tensor.")
    if _INPUTS not in signature.inputs:
        raise failed_precondition(f"No regression inputs found in SignatureDef: {signature}")
    if _OUTPUTS not in signature.outputs:
        raise failed_precondition(f"No regression outputs found in SignatureDef: {signature}")
    examples = serialized_examples(request_input)
    feeds = {signature.inputs[_INPUTS].name: examples}
    (output,) = runner.run(servable, feeds, [signature.outputs[_OUTPUTS].name], timeout_ms)
    return Result(name, _regressions(len(examples), output))


def _regressions(num_examples: int, output: np.ndarray) -> list[float]:
    if not (output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1)):
        raise invalid_argument(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] "
            f"but got {_shape(output)}"
        )
    if output.shape[0] != num_examples:
        raise invalid_argument(
            "Input batch size did not match output batch size: "
            f"{num_examples} vs. {output.shape[0]}"
        )
    if output.dtype != np.float32:
        raise invalid_argument(f"Expected output Tensor of DT_FLOAT.  Got: {output.dtype}")
    return [float(v) for v in output.ravel()]


def _typed_signature(servable: Servable, signature_name: str, method: str | None, kind: str):
    """The named signature; with `method`, only if it was saved with that method name.

    TF Serving checks the method name only under
    `--enable_signature_method_name_check` (default false): TF2's
    `tf.saved_model.save` records every signature as a predict one, and a
    classifier saved that way is served by its inputs and outputs alone.
    """
    name = resolve_signature_name(signature_name)
    if name not in servable.signature_defs:
        raise invalid_argument(f"No signature was found with the name: {name}")
    signature = servable.signature_defs[name]
    if method is not None and signature.method_name != method:
        raise invalid_argument(
            f"Expected {kind} signature method_name to be {method}. Was: {signature.method_name}"
        )
    return name, signature


def serialized_examples(request_input: input_pb2.Input) -> np.ndarray:
    """The serialized `tf.Example`s of an `Input`, each merged with its context.

    Like TF Serving, the context is merged by prepending its serialization:
    protobuf parsing merges the two, and the example's own features win.
    """
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        serialized = [e.SerializeToString() for e in request_input.example_list.examples]
    elif kind == "example_list_with_context":
        with_context = request_input.example_list_with_context
        context = with_context.context.SerializeToString()
        serialized = [context + e.SerializeToString() for e in with_context.examples]
    else:
        serialized = []
    if not serialized:
        raise invalid_argument("Input is empty.")
    array = np.empty(len(serialized), dtype=object)
    array[:] = serialized
    return array


def signature_def_map(servable: Servable) -> get_model_metadata_pb2.SignatureDefMap:
    """Every SignatureDef of the version, as GetModelMetadata returns them."""
    result = get_model_metadata_pb2.SignatureDefMap()
    for key, signature in servable.signature_defs.items():
        result.signature_def[key].CopyFrom(signature)
    return result


def status_response(statuses: list[VersionStatus]) -> get_model_status_pb2.GetModelStatusResponse:
    """A GetModelStatusResponse for the given version states."""
    response = get_model_status_pb2.GetModelStatusResponse()
    for status in statuses:
        entry = response.model_version_status.add(version=status.version, state=status.state)
        entry.status.SetInParent()  # TF Serving always prints the status, OK included
        if status.error is not None:
            entry.status.error_code = int(status.error.code)
            entry.status.error_message = status.error.message
    return response


def fill_model_spec(
    spec: model_pb2.ModelSpec, name: str, version: int, signature_name: str
) -> None:
    """The ModelSpec a response carries: the version that answered, the signature run."""
    spec.name = name
    spec.version.value = version
    spec.signature_name = signature_name


def fill_classifications(result, classifications: list[list[tuple[str, float]]]) -> None:
    """A `ClassificationResult` from `classify`'s value."""
    for classes in classifications:
        entry = result.classifications.add()
        for label, score in classes:
            entry.classes.add(label=label, score=score)


def fill_regressions(result, values: list[float]) -> None:
    """A `RegressionResult` from `regress`'s value."""
    for value in values:
        result.regressions.add(value=value)


def _label(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _shape(array: np.ndarray) -> str:
    return "[" + ",".join(str(d) for d in array.shape) + "]"


def _join(names: Iterable[str]) -> str:
    return ",".join(sorted(names))
