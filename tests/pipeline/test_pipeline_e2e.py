"""The real pipeline, end to end, on the taxi sample in a temporary directory.

Runs `create_pipeline` with TFX's LocalDagRunner (the same path as
run_local.py), then checks ML Metadata, the pushed SavedModel and its
signatures, a cached rerun, and that bad input leaves the served model alone.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path

import ml_metadata as mlmd
import numpy as np
import pytest
import taxi_facts
import tensorflow as tf
from ml_metadata.proto import metadata_store_pb2
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx import v1 as tfx

from pipeline import steps as P
from pipeline.config import PipelineConfig
from pipeline.defaults import sample_data_root
from pipeline.metadata.store import latest_run as latest_run_context
from pipeline.metadata.summary import summarize_latest_run
from pipeline.runners.local import run_pipeline
from serving.rows import to_columns, to_instances

pytestmark = pytest.mark.e2e

# Every step of the default configuration (no Tuner).
COMPONENTS = set(P.planned())
PROJECT = Path(__file__).resolve().parents[2]


def _run_states(config: PipelineConfig) -> dict[str, int]:
    store = mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    )
    run = latest_run_context(store, config.pipeline_name)
    states = {}
    for execution in store.get_executions_by_context(run.id):
        node = next(
            c.name.split(".", 1)[1]
            for c in store.get_contexts_by_execution(execution.id)
            if c.name.startswith(config.pipeline_name + ".")
        )
        states[node] = execution.last_known_state
    return states


def _versions(config: PipelineConfig) -> list[str]:
    return sorted(Path(config.push_base_directory).iterdir())


def test_every_component_executed_and_was_recorded(pipeline_run):
    states = _run_states(pipeline_run)
    assert set(states) == COMPONENTS
    assert all(s == metadata_store_pb2.Execution.COMPLETE for s in states.values()), states


def test_run_summary_reads_rows_metrics_blessing_and_push(pipeline_run):
    summary = summarize_latest_run(pipeline_run)
    assert sum(summary.split_rows.values()) == 15002
    assert set(summary.split_rows) == {"train", "validation", "eval"}
    assert summary.split_rows["train"] > 3 * summary.split_rows["eval"] > 0
    assert summary.anomalies == {"train": {}, "validation": {}, "eval": {}}
    assert summary.gate.passed and summary.gate.findings == ()
    assert summary.gate.compared_with == "", "the first run has no earlier data to drift from"
    skew = [m for m in summary.gate.measurements if m["check"] == "skew"]
    assert {m["split"] for m in skew} == {"validation", "eval"}
    assert not [m for m in skew if m["exceeded"]]
    assert summary.metrics["example_count"] == summary.split_rows["eval"]
    assert summary.metrics["auc"] >= pipeline_run.thresholds.min_auc
    assert summary.metrics["binary_accuracy"] >= pipeline_run.thresholds.min_accuracy
    assert summary.blessed is True and summary.failed_thresholds == []
    assert summary.pushed_path == str(_versions(pipeline_run)[0])


def test_pushed_version_is_laid_out_for_tensorflow_serving(pipeline_run):
    versions = _versions(pipeline_run)
    assert len(versions) == 1 and versions[0].name.isdigit()
    assert (versions[0] / "saved_model.pb").is_file()
    assert (versions[0] / "variables" / "variables.index").is_file()


def test_pushed_version_carries_warmup_requests_from_eval_examples(pipeline_run):
    from tensorflow_serving.apis import prediction_log_pb2

    path = _versions(pipeline_run)[0] / "assets.extra" / "tf_serving_warmup_requests"
    logs = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(str(path))
    ]
    requests = [log.predict_log.request for log in logs]
    assert [r.model_spec.signature_name for r in requests] == ["serving_default"] * 32 + [
        "serving_tf_example"
    ]
    assert set(requests[0].inputs) == set(taxi_facts.model_features())
    assert requests[-1].inputs["examples"].tensor_shape.dim[0].size == 32


def _raw_rows(n: int) -> list[dict[str, str]]:
    with (sample_data_root() / "data.csv").open(newline="") as f:
        return list(itertools.islice(csv.DictReader(f), n))


def _examples(rows, schema) -> tf.Tensor:
    types = {f.name: f.type for f in schema.feature}
    serialized = []
    for row in rows:
        feature = {}
        for name, value in row.items():
            if name == "tips" or not value:
                continue
            if types[name] == schema_pb2.BYTES:
                feature[name] = tf.train.Feature(
                    bytes_list=tf.train.BytesList(value=[value.encode()])
                )
            elif types[name] == schema_pb2.INT:
                feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
            else:
                feature[name] = tf.train.Feature(
                    float_list=tf.train.FloatList(value=[float(value)])
                )
        example = tf.train.Example(features=tf.train.Features(feature=feature))
        serialized.append(example.SerializeToString())
    return tf.constant(serialized)


def test_served_model_answers_raw_features_with_probabilities(pipeline_run, schema):
    model = tf.saved_model.load(str(_versions(pipeline_run)[0]))
    assert {"serving_default", "serving_tf_example", "transform_features"} <= set(model.signatures)
    serving = model.signatures["serving_default"]
    inputs = serving.structured_input_signature[1]
    assert set(inputs) == set(taxi_facts.model_features())
    types = {f.name: f.type for f in schema.feature}
    expected = {schema_pb2.INT: tf.int64, schema_pb2.FLOAT: tf.float32, schema_pb2.BYTES: tf.string}
    assert all(spec.dtype == expected[types[name]] for name, spec in inputs.items())

    rows = _raw_rows(64)
    columns = to_columns(to_instances(rows, taxi_facts.inputs()), taxi_facts.inputs())
    tensors = {name: tf.constant(values) for name, values in columns.items()}
    probabilities = serving(**tensors)[taxi_facts.output()].numpy()
    assert probabilities.shape == (64,)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert probabilities.std() > 0.01, "the model separates examples"

    from_examples = model.signatures["serving_tf_example"](examples=_examples(rows, schema))
    np.testing.assert_allclose(from_examples[taxi_facts.output()].numpy(), probabilities, atol=1e-5)


def test_second_run_is_served_from_cache_and_pushes_nothing_new(pipeline_run):
    before = _versions(pipeline_run)
    run_pipeline(pipeline_run)
    states = _run_states(pipeline_run)
    for resolver in (P.BASELINE_RESOLVER, P.ACCEPTED_DATA_RESOLVER):
        assert states.pop(resolver) == metadata_store_pb2.Execution.COMPLETE
    assert all(s == metadata_store_pb2.Execution.CACHED for s in states.values()), states
    assert _versions(pipeline_run) == before


def test_bad_input_run_keeps_the_served_model_answering(pipeline_run, tmp_path):
    (tmp_path / "bad.csv").write_text("fare,tips\nlots,0\n")
    served = _versions(pipeline_run)
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "run_local.py"),
            "--data-root",
            str(tmp_path),
            "--pipeline-root",
            pipeline_run.pipeline_root,
            "--serving-dir",
            pipeline_run.serving_dir,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "Nothing was trained or pushed." in result.stdout
    assert _versions(pipeline_run) == served
    model = tf.saved_model.load(str(served[-1]))
    assert "serving_default" in model.signatures


def test_retrained_model_is_compared_with_the_served_one(pipeline_run):
    served = _versions(pipeline_run)
    retrain = dataclasses.replace(pipeline_run, enable_cache=False, seed=1)
    run_pipeline(retrain)
    states = _run_states(retrain)
    assert all(s == metadata_store_pb2.Execution.COMPLETE for s in states.values()), states
    summary = summarize_latest_run(retrain)
    assert summary.gate.passed and summary.gate.compared_with, "drift from the first run's data"
    drift = [m for m in summary.gate.measurements if m["check"] == "drift"]
    assert drift and all(m["value"] == 0 for m in drift), "the same rows do not drift"
    assert summary.baseline_metrics["auc"] >= pipeline_run.thresholds.min_auc
    assert summary.metrics["auc"] != summary.baseline_metrics["auc"]
    thresholds = pipeline_run.thresholds
    change = summary.metrics["auc"] - summary.baseline_metrics["auc"]
    assert summary.blessed is (
        change >= -thresholds.max_regression
        and summary.metrics["auc"] >= thresholds.min_auc
        and summary.metrics["binary_accuracy"] >= thresholds.min_accuracy
    )
    assert len(_versions(pipeline_run)) == len(served) + int(summary.blessed)
