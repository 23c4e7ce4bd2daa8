"""The pipeline compiled to TFX's intermediate representation (the pipeline IR proto).

An orchestrator that runs each component in a process of its own (Airflow)
gets the IR written once, at compile time; every task then reads it and runs
one node (`pipeline.runners.node`). So the orchestrator's own files never
build the pipeline, and every task runs exactly the pipeline that was compiled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline import steps
from pipeline.config import PipelineConfig

SUFFIX = ".ir.pb"
# Exec properties of the compiled nodes that name the data (pipeline.pipeline).
_INPUT_BASE = "input_base"  # the ExampleGen's folder of CSV files
_SCHEMA_PATH = "schema_path"  # the ExampleGen's schema (column types)
_PROVENANCE = "provenance"  # the Pusher's record of code and data, for the model card
_DATASET = "dataset"  # the Pusher's dataset description
_GATE_CONFIG = "gate_config"  # the DataGate's GateConfig


class IrError(Exception):
    """The IR file is missing, unreadable, or does not fit the installed code."""


def compile_ir(config: PipelineConfig):
    """`create_pipeline(config)` compiled to a `pipeline_pb2.Pipeline` (synchronous mode)."""
    from tfx.dsl.compiler import compiler

    from pipeline.pipeline import create_pipeline

    return compiler.Compiler().compile(create_pipeline(config))


def write_ir(ir, path: Path) -> Path:
    """Write `ir` to `path` atomically: a scheduler may read the folder meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(ir.SerializeToString())
    os.replace(tmp, path)
    return path


def read_ir(path: Path):
    """The `pipeline_pb2.Pipeline` in `path`; IrError naming the file otherwise."""
    from google.protobuf.message import DecodeError
    from tfx.proto.orchestration import pipeline_pb2

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise IrError(f"{path}: cannot read the compiled pipeline ({e.strerror})") from e
    ir = pipeline_pb2.Pipeline()
    try:
        ir.ParseFromString(data)
    except DecodeError as e:
        raise IrError(f"{path}: not a compiled pipeline (pipeline IR proto): {e}") from e
    if not ir.nodes:
        raise IrError(f"{path}: holds no pipeline nodes; compile it again")
    return ir


def task_graph(ir) -> dict[str, tuple[str, ...]]:
    """Node id -> the ids of its upstream nodes, in the IR's (topological) order."""
    return {
        node.pipeline_node.node_info.id: tuple(sorted(node.pipeline_node.upstream_nodes))
        for node in ir.nodes
    }


def node(ir, node_id: str):
    """The `PipelineNode` called `node_id`; IrError listing the ids otherwise."""
    for each in ir.nodes:
        if each.pipeline_node.node_info.id == node_id:
            return each.pipeline_node
    raise IrError(
        f"no node {node_id!r} in pipeline {ir.pipeline_info.id!r}; its nodes are "
        + ", ".join(task_graph(ir))
    )


def pipeline_root(ir) -> str:
    """The pipeline root: the compiled default, or the value a runner filled in."""
    root = ir.runtime_spec.pipeline_root
    if root.HasField("field_value"):
        return root.field_value.string_value
    return root.runtime_parameter.default_value.string_value


def _parameter(pipeline_node, name: str):
    parameters = pipeline_node.parameters.parameters
    return parameters[name].field_value if name in parameters else None


def data_root(ir) -> str:
    """The folder of CSV files the ExampleGen reads."""
    return _parameter(node(ir, steps.EXAMPLE_GEN), _INPUT_BASE).string_value


def schema(ir):
    """The schema the ExampleGen types the CSV columns with (staged at compile time)."""
    from schemas import load_schema

    return load_schema(_parameter(node(ir, steps.EXAMPLE_GEN), _SCHEMA_PATH).string_value)


def dataset(ir):
    """The `DatasetSpec` the pipeline was compiled with."""
    from models.dataset import DatasetSpec

    return DatasetSpec.from_json(_parameter(node(ir, steps.PUSHER), _DATASET).string_value)


def compiled_fingerprint(ir) -> str:
    """The code fingerprint of `models/` (and the dataset's hooks) at compile time."""
    return json.loads(_parameter(node(ir, steps.PUSHER), _PROVENANCE).string_value)[
        "code_fingerprint"
    ]


def with_data_root(ir, folder: str) -> None:
    """Point `ir` at another folder of CSV files, for one run: the ExampleGen reads it
    and the model card records it."""
    _parameter(node(ir, steps.EXAMPLE_GEN), _INPUT_BASE).string_value = folder
    provenance = _parameter(node(ir, steps.PUSHER), _PROVENANCE)
    record = json.loads(provenance.string_value)
    if record.get("data_root") != folder:
        # The compile-time hashes describe the other folder's files.
        record.update(data_root=folder, data_files=[])
    provenance.string_value = json.dumps(record, sort_keys=True)


def with_allowed_anomalies(ir, features: tuple[str, ...]) -> None:
    """Let the data gate accept its findings on `features` (`*`: all) in one run, as
    `--allow-anomalies` does for a local run."""
    import dataclasses

    from pipeline.components.data_gate.spec import config_from_json, config_to_json

    value = _parameter(node(ir, steps.DATA_GATE), _GATE_CONFIG)
    config = config_from_json(value.string_value)
    value.string_value = config_to_json(dataclasses.replace(config, allow=features))


def with_run_id(ir, run_id: str) -> None:
    """Fill the pipeline run id: every node of one orchestrator run gets the same."""
    from tfx.dsl.compiler import constants
    from tfx.orchestration.portable import runtime_parameter_utils

    runtime_parameter_utils.substitute_runtime_parameter(
        ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id}
    )


def metadata_connection(ir):
    """The ML Metadata `ConnectionConfig` the pipeline was compiled with."""
    from tfx.orchestration.local import runner_utils

    config = runner_utils.extract_local_deployment_config(ir).metadata_connection_config
    return getattr(config, config.WhichOneof("connection_config"))


def sqlite_path(connection) -> str | None:
    """The SQLite file of `connection`; None for MySQL or a metadata service."""
    return connection.sqlite.filename_uri if connection.HasField("sqlite") else None
