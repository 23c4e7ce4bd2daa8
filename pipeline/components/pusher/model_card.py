"""The model card of a pushed version: why this model, how good, for whom, from what.

The Pusher builds it from the artifacts it is handed (evaluation, fairness
check, attributions, statistics, schema, the Tuner's trials) and writes it
into the version before the version appears, as
`assets.extra/model_card.{json,md,html}`. The JSON is the card's data; the
Markdown and the HTML page are rendered from it, with no template engine and
no network (the HTML has inline CSS, no script).
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import os
from typing import Any

from models import layout, scoring
from pipeline.components.blessing import EVALUATOR_BLESSED_PROPERTY
from pipeline.components.evaluator import results
from pipeline.components.fairness_check.artifacts import FAIRNESS_BLOCKED_PROPERTY
from pipeline.components.fairness_check.decision import describe
from pipeline.components.skill_check.artifacts import SKILL_PASSED_PROPERTY
from pipeline.components.standard_outputs import read_schema, statistics_by_split

# How many slices (most examples first) and attributions the card shows.
SLICES_SHOWN = 10
TOP_ATTRIBUTIONS = 10

TRANSFORM_USES = {
    "zscore": "z-score",
    "log": "log1p, then z-score",
    "bucketize": "{buckets} quantile buckets (and one for missing)",
    "index": "category 0..{last} (embedding)",
    "vocabulary": "vocabulary (top {top_k}) + {oov_buckets} OOV buckets (embedding)",
}
GENERIC_LIMITATIONS = (
    "Trained on the data described below: behaviour on other data (other periods, "
    "places or populations) was not measured.",
    "Slices with few eval examples have noisy metrics; the fairness gaps leave out "
    "slices below the minimum size.",
)


def _predicts(spec) -> str:
    label = spec.label.key
    if spec.task == "binary":
        return f"the probability that {label} is {spec.class_names()[1]!r}"
    if spec.task == "multiclass":
        return f"which of {', '.join(spec.class_names())} {label} is, with each one's probability"
    return f"{label} (a number)"


def intended_use(spec) -> list[str]:
    """The dataset file's words, or what the model does in general terms."""
    if spec.intended_use:
        return list(spec.intended_use)
    about = f" ({spec.description})" if spec.description else ""
    return [
        f"Predicts {_predicts(spec)} from {len(spec.features)} columns of the "
        f"{spec.name} data{about}."
    ]


def limitations(spec) -> list[str]:
    return list(spec.limitations or GENERIC_LIMITATIONS)


def owners(spec) -> list[dict]:
    """The dataset file's owners (name, contact); none given is said on the card."""
    return [owner.model_dump() for owner in spec.owners]


def ethical_considerations(spec) -> list[dict]:
    """The dataset file's risks of using the model (name, mitigation_strategy)."""
    return [risk.model_dump() for risk in spec.ethical_considerations]


def slice_metrics(task: str) -> tuple[str, ...]:
    """Metrics of each slice table: the count and the task's main metrics."""
    if task == "regression":
        return ("example_count", scoring.RMSE, scoring.MAE)
    if task == "binary":
        return ("example_count", scoring.AUC, scoring.ACCURACY[task])
    return ("example_count", scoring.ACCURACY[task])


def _utc(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def feature_uses(spec) -> dict[str, str]:
    """Raw feature -> how the model uses it: its transform, and what the hooks add."""
    import importlib

    notes = {}
    if spec.hooks:
        notes = dict(getattr(importlib.import_module(spec.hooks), "FEATURE_NOTES", {}))
    for name, columns in spec.crosses.items():
        for column in columns:
            crossed = f"crossed with {', '.join(c for c in columns if c != column)} into {name}"
            notes[column] = f"{notes[column]}; {crossed}" if column in notes else crossed
    uses = {}
    for name, feature in spec.features.items():
        use = TRANSFORM_USES[feature.transform].format(
            buckets=feature.buckets,
            last=(feature.size or 0) - 1,
            top_k=feature.top_k,
            oov_buckets=feature.oov_buckets,
        )
        uses[name] = f"{use}; {notes[name]}" if name in notes else use
    return uses


# --- building the card's data from artifacts ----------------------------------------------------


def data_section(statistics, examples, provenance: dict, time_feature: str | None) -> dict:
    """Rows per split, the data's date range, the input fingerprint and the data files."""
    rows, low, high = {}, None, None
    for split, stats in (statistics_by_split(statistics) if statistics else {}).items():
        rows[split] = sum(d.num_examples for d in stats.datasets)
        for dataset in stats.datasets:
            for feature in dataset.features:
                if not time_feature or [*feature.path.step] != [time_feature]:
                    continue
                stats_min, stats_max = feature.num_stats.min, feature.num_stats.max
                low = stats_min if low is None else min(low, stats_min)
                high = stats_max if high is None else max(high, stats_max)
    return {
        "rows": rows,
        "date_range": [_utc(low), _utc(high)] if low is not None else [],
        "fingerprint": examples.get_string_custom_property("input_fingerprint") if examples else "",
        "examples_uri": examples.uri if examples else "",
        "data_root": provenance.get("data_root", ""),
        "files": [{"path": p, "sha256": h} for p, h in provenance.get("data_files", [])],
    }


def features_section(schema_artifact, spec) -> list[dict]:
    """The raw features the model reads, their schema type and their use."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    types = {}
    if schema_artifact is not None:
        schema = read_schema(schema_artifact)
        types = {f.name: schema_pb2.FeatureType.Name(f.type) for f in schema.feature}
    uses = feature_uses(spec)
    return [
        {"feature": name, "type": types.get(name, ""), "use": uses.get(name, "")}
        for name in spec.model_features()
    ]


def metrics_section(evaluation, spec) -> dict:
    """Overall metrics, thresholds with their results, and the largest slices."""
    if evaluation is None:
        return {"overall": {}, "thresholds": [], "slices": {}}
    metrics = results.load_metrics(evaluation.uri)
    thresholds, validation_ok = results.load_thresholds(evaluation.uri, metrics)
    overall = results.overall_table(metrics)
    candidate = (
        dict(zip(overall["metric"], overall["candidate"], strict=True))
        if "candidate" in overall
        else {}
    )
    slices = {}
    for feature in spec.slices:
        table = results.slice_table(metrics, feature)
        columns = [feature, *(m for m in slice_metrics(spec.task) if m in table.columns)]
        slices[feature] = _records(table[columns].head(SLICES_SHOWN), rename={feature: "slice"})
    return {
        "overall": {
            results.with_class_names(k, spec.class_names()): float(v)
            for k, v in candidate.items()
            if v == v
        },
        "thresholds": _records(thresholds),
        "validation_ok": validation_ok,
        "slices": slices,
    }


def _records(frame, rename: dict | None = None) -> list[dict]:
    rows = []
    for record in frame.rename(columns=rename or {}).to_dict("records"):
        rows.append({k: _plain(v) for k, v in record.items()})
    return rows


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def skill_section(outcome) -> dict | None:
    """The candidate against the trivial predictor, metric by metric."""
    if outcome is None:
        return None
    return {
        "passed": outcome.passed,
        "margin": outcome.margin,
        "trivial_prediction": outcome.trivial_prediction,
        "comparisons": [{**dataclasses.asdict(c), "passed": c.passed} for c in outcome.comparisons],
    }


def fairness_section(outcome) -> dict | None:
    if outcome is None:
        return None
    return {
        "config": {
            "thresholds": sorted({g.threshold for g in outcome.gaps if g.threshold is not None}),
            "min_slice_examples": outcome.min_slice_examples,
        },
        "blocking": outcome.blocking,
        "blocked": outcome.blocked,
        "breaches": [describe(g) for g in outcome.breaches],
        "caveats": outcome.caveat_lines(),
        "gaps": [g.as_dict() for g in outcome.gaps],
    }


def attributions_section(result) -> dict | None:
    if result is None:
        return None
    return {
        "method": result.method,
        "examples": result.examples,
        "repeats": result.repeats,
        "score": result.score,
        "baseline_score": result.baseline_score,
        "top": [
            {"feature": f.feature, "importance": f.importance, "spread": f.spread}
            for f in result.features[:TOP_ATTRIBUTIONS]
        ],
    }


def hyperparameters_section(recorded: dict | None, tuner_results: list | None) -> dict:
    values = dict(recorded or {})
    source = values.pop("source", "unknown")
    return {"source": source, "values": values, "trials": tuner_results or []}


def build_card(
    *,
    model_name: str,
    version: str,
    pushed_at: float,
    run_id: str,
    model,
    blessing,
    hparams: dict | None,
    artifacts: dict[str, Any],
    provenance: dict,
    spec,
) -> dict:
    """The card's data, from the artifacts the Pusher was handed (missing ones as None) and
    the dataset spec the model records."""
    from tfx.components.evaluator import constants

    return {
        "model": {
            "name": model_name,
            "version": version,
            "pushed_at": _utc(pushed_at),
            "model_artifact_id": model.id,
            "model_uri": model.uri,
        },
        "dataset": {
            "name": spec.name,
            "task": spec.task,
            "label": spec.label.key,
            "classes": list(spec.class_names()),
        },
        "owners": owners(spec),
        "intended_use": intended_use(spec),
        "limitations": limitations(spec),
        "ethical_considerations": ethical_considerations(spec),
        "data": data_section(
            artifacts.get("statistics"), artifacts.get("examples"), provenance, spec.time_feature
        ),
        "features": features_section(artifacts.get("schema"), spec),
        "metrics": metrics_section(artifacts.get("evaluation"), spec),
        "skill": skill_section(artifacts.get("skill")),
        "fairness": fairness_section(artifacts.get("fairness")),
        "attributions": attributions_section(artifacts.get("attributions")),
        "hyperparameters": hyperparameters_section(hparams, artifacts.get("tuner_results")),
        "blessing": {
            "blessed": blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY)
            == 1,
            "evaluator_blessed": bool(blessing.get_int_custom_property(EVALUATOR_BLESSED_PROPERTY)),
            "skill_passed": bool(blessing.get_int_custom_property(SKILL_PASSED_PROPERTY)),
            "fairness_blocked": bool(blessing.get_int_custom_property(FAIRNESS_BLOCKED_PROPERTY)),
            "blessing_artifact_id": blessing.id,
        },
        "lineage": {
            "run_id": run_id,
            "git_commit": provenance.get("git_commit", ""),
            "git_dirty": bool(provenance.get("git_dirty", False)),
            "code_fingerprint": provenance.get("code_fingerprint", ""),
        },
    }


# --- rendering --------------------------------------------------------------------------------


def fmt(value) -> str:
    """One number format for the card: counts with separators, others to 4 significant digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == int(value) and abs(value) >= 1:
            return f"{int(value):,}"
        return f"{value:.4g}"
    return str(value)


def _blocks(card: dict) -> list[tuple[str, list]]:
    """The card as (title, [paragraph | ("items", lines) | (columns, rows)]) in reading order."""
    m = card["model"]
    data = card["data"]
    metrics = card["metrics"]
    lineage = card["lineage"]
    blessing = card["blessing"]
    sections: list[tuple[str, list]] = []
    sections.append(
        (
            "Model",
            [
                (
                    ["field", "value"],
                    [
                        ["name", m["name"]],
                        ["version", m["version"]],
                        ["dataset", card["dataset"]["name"]],
                        ["task", f"{card['dataset']['task']}, label {card['dataset']['label']}"],
                        ["pushed at", m["pushed_at"]],
                        ["blessed", fmt(blessing["blessed"])],
                        ["model artifact", f"{m['model_artifact_id']} ({m['model_uri']})"],
                    ],
                )
            ],
        )
    )
    sections.append(("Owners", _owner_blocks(card.get("owners", []))))
    sections.append(("Intended use", list(card["intended_use"])))
    sections.append(("Limits", list(card["limitations"])))
    sections.append(
        ("Ethical considerations", _consideration_blocks(card.get("ethical_considerations", [])))
    )
    data_rows = [["rows " + split, fmt(n)] for split, n in data["rows"].items()]
    if data["date_range"]:
        data_rows.append(["data from", data["date_range"][0]])
        data_rows.append(["data to", data["date_range"][1]])
    data_rows += [
        ["data folder", data["data_root"]],
        ["input fingerprint", data["fingerprint"]],
        ["examples", data["examples_uri"]],
    ]
    data_blocks: list = [(["field", "value"], data_rows)]
    if data["files"]:
        data_blocks.append((["file", "sha256"], [[f["path"], f["sha256"]] for f in data["files"]]))
    sections.append(("Data", data_blocks))
    sections.append(
        (
            "Features",
            [
                (
                    ["feature", "type", "use"],
                    [[f["feature"], f["type"], f["use"]] for f in card["features"]],
                )
            ],
        )
    )
    metric_blocks: list = [
        "Eval split, overall:",
        (["metric", "value"], [[k, fmt(v)] for k, v in metrics["overall"].items()]),
    ]
    if metrics["thresholds"]:
        metric_blocks.append("Thresholds the model had to clear:")
        metric_blocks.append(
            (
                ["metric", "slice", "required", "measured", "result"],
                [
                    [t["metric"], t["slice"], t["required"], fmt(t["measured"]), t["result"]]
                    for t in metrics["thresholds"]
                ],
            )
        )
    for feature, rows in metrics["slices"].items():
        if not rows:
            continue
        columns = list(rows[0])
        metric_blocks.append(f"By {feature} (largest {len(rows)} slices):")
        metric_blocks.append((columns, [[fmt(r[c]) for c in columns] for r in rows]))
    sections.append(("Metrics", metric_blocks))
    sections.append(("Skill", _skill_blocks(card["skill"])))
    sections.append(("Fairness", _fairness_blocks(card["fairness"])))
    sections.append(("Attributions", _attribution_blocks(card["attributions"])))
    sections.append(("Hyperparameters", _hyperparameter_blocks(card["hyperparameters"])))
    verdict = (
        "Blessed: the Evaluator's thresholds were met, the model beat the trivial predictor "
        "and no blocking fairness gap was found."
        if blessing["blessed"]
        else "Not blessed."
    )
    evaluator = "passed" if blessing["evaluator_blessed"] else "failed"
    skill = "passed" if blessing.get("skill_passed") else "failed"
    fairness = fairness_status(card["fairness"], blessing["fairness_blocked"])
    sections.append(
        (
            "Blessing",
            [
                verdict,
                (
                    ["check", "result"],
                    [
                        ["Evaluator thresholds", evaluator],
                        ["skill over the trivial predictor", skill],
                        ["fairness check", fairness],
                    ],
                ),
            ],
        )
    )
    commit = lineage["git_commit"] or "not a git checkout"
    if lineage["git_commit"] and lineage["git_dirty"]:
        commit += " (with uncommitted changes)"
    sections.append(
        (
            "Lineage",
            [
                (
                    ["field", "value"],
                    [
                        ["pipeline run", lineage["run_id"]],
                        ["git commit", commit],
                        ["code fingerprint (models/)", lineage["code_fingerprint"]],
                    ],
                ),
                f"Full chain: python -m pipeline lineage {m['version']}",
            ],
        )
    )
    return sections


# Said on a card whose dataset file does not fill a section: an empty section would
# read as "nothing to say".
NO_OWNERS = "No owner is named in the dataset file ([[owners]] name, contact)."
NO_CONSIDERATIONS = (
    "No ethical considerations are recorded in the dataset file "
    "([[ethical_considerations]] name, mitigation_strategy)."
)


def _owner_blocks(found: list[dict]) -> list:
    if not found:
        return [NO_OWNERS]
    return [(["name", "contact"], [[o["name"], o["contact"]] for o in found])]


def _consideration_blocks(found: list[dict]) -> list:
    if not found:
        return [NO_CONSIDERATIONS]
    return [
        (
            ["risk", "mitigation strategy"],
            [[c["name"], c["mitigation_strategy"]] for c in found],
        )
    ]


def fairness_status(fairness: dict | None, blocked: bool) -> str:
    """The fairness check's result in words that do not overstate it: gaps over the
    limit in the reporting-only mode did not block, but they did not pass either."""
    if blocked:
        return "blocked"
    if fairness is None:
        return "did not run"
    breaches = len(fairness["breaches"])
    if breaches:
        gaps = "gap" if breaches == 1 else "gaps"
        return f"reported, not blocking: {breaches} {gaps} over the limit"
    return "passed"


def _skill_blocks(skill: dict | None) -> list:
    if skill is None:
        return ["No skill check ran for this model."]
    return [
        f"The trivial predictor ignores every feature and predicts {skill['trivial_prediction']} "
        f"for every example; the model must beat it by {fmt(skill['margin'])}.",
        (
            ["metric", "model", "trivial predictor", "required", "result"],
            [
                [
                    c["metric"],
                    fmt(c["candidate"]),
                    fmt(c["trivial"]),
                    ("at least " if c["higher_is_better"] else "at most ") + fmt(c["required"]),
                    "passed" if c["passed"] else "FAILED",
                ]
                for c in skill["comparisons"]
            ],
        ),
    ]


def _fairness_blocks(fairness: dict | None) -> list:
    if fairness is None:
        return ["No fairness check ran for this model."]
    config = fairness["config"]
    thresholds = config.get("thresholds", [])
    compared = (
        "false positive and false negative rates"
        + (f", at thresholds {', '.join(fmt(t) for t in thresholds)}" if thresholds else "")
        if thresholds
        else "mean absolute errors"
    )
    blocks: list = [
        f"Gaps of the {compared}, between slices of "
        f"{', '.join(_slice_features(fairness))}; slices under "
        f"{config.get('min_slice_examples', '?')} eval examples are left out. "
        f"The check is {'blocking' if fairness['blocking'] else 'reporting only'}."
    ]
    if fairness["breaches"]:
        blocks.append("Gaps over their limit:")
        blocks.append(("items", fairness["breaches"]))
    else:
        blocks.append("No gap is over its limit.")
    if fairness.get("caveats"):
        blocks.append("Read the gaps with the dataset's caveats:")
        blocks.append(("items", fairness["caveats"]))
    blocks.append(
        (
            ["feature", "rate", "threshold", "gap", "limit", "highest", "lowest", "slices"],
            [
                [
                    g["feature"],
                    g["rate"] + (f" ({g['class_name']})" if g.get("class_name") else ""),
                    fmt(g["threshold"]),
                    fmt(g["gap"]),
                    fmt(g["limit"]),
                    g["highest"],
                    g["lowest"],
                    fmt(g["slices"]),
                ]
                for g in fairness["gaps"]
            ],
        )
    )
    return blocks


def _slice_features(fairness: dict) -> list[str]:
    return list(dict.fromkeys(g["feature"] for g in fairness["gaps"]))


def _attribution_blocks(attributions: dict | None) -> list:
    if attributions is None:
        return ["No attributions were computed for this model."]
    return [
        f"{attributions['method']}: {fmt(attributions['examples'])} eval examples, "
        f"{attributions['repeats']} shuffles per feature, {attributions['score']} without "
        f"shuffling {fmt(attributions['baseline_score'])}; importance is how much worse it "
        "gets when the feature is shuffled.",
        (
            ["feature", "importance", "spread"],
            [[a["feature"], fmt(a["importance"]), fmt(a["spread"])] for a in attributions["top"]],
        ),
    ]


def _hyperparameter_blocks(hp: dict) -> list:
    source = {
        "tuner": "chosen by the Tuner (best trial below)",
        "defaults": "the Trainer's defaults (no tuning)",
    }.get(hp["source"], hp["source"])
    blocks: list = [
        f"Hyperparameters: {source}.",
        (["name", "value"], [[k, fmt(v)] for k, v in sorted(hp["values"].items())]),
    ]
    if hp["trials"]:
        columns = list(hp["trials"][0])
        blocks.append("Tuner trials, best (lowest validation log loss) first:")
        blocks.append((columns, [[fmt(t.get(c)) for c in columns] for t in hp["trials"]]))
    return blocks


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(card: dict) -> str:
    m = card["model"]
    lines = [f"# Model card: {m['name']}, version {m['version']}", ""]
    for title, blocks in _blocks(card):
        lines += [f"## {title}", ""]
        for block in blocks:
            if isinstance(block, str):
                lines += [block, ""]
                continue
            if block[0] == "items":
                lines += [f"- {item}" for item in block[1]] + [""]
                continue
            columns, rows = block
            lines.append("| " + " | ".join(_md_cell(c) for c in columns) + " |")
            lines.append("|" + "|".join("---" for _ in columns) + "|")
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; font-size: 14px; max-width: 1100px; margin: 0 auto;
  padding: 12px 20px; color: #1b1b1b; }
h2 { border-bottom: 1px solid #ddd; margin-top: 22px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
th { background: #f4f4f4; }
"""


def to_html(card: dict) -> str:
    m = card["model"]
    title = html.escape(f"Model card: {m['name']}, version {m['version']}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
    ]
    for heading, blocks in _blocks(card):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for block in blocks:
            if isinstance(block, str):
                parts.append(f"<p>{html.escape(block)}</p>")
                continue
            if block[0] == "items":
                items = "".join(f"<li>{html.escape(item)}</li>" for item in block[1])
                parts.append(f"<ul>{items}</ul>")
                continue
            columns, rows = block
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                for row in rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_card(model_dir: str, card: dict) -> list[str]:
    """Write the card as JSON, Markdown and HTML into `<model_dir>/assets.extra/`."""
    written = []
    for name, text in (
        (layout.MODEL_CARD_JSON, json.dumps(card, indent=1, sort_keys=True)),
        (layout.MODEL_CARD_MARKDOWN, to_markdown(card)),
        (layout.MODEL_CARD_HTML, to_html(card)),
    ):
        path = os.path.join(model_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    return written


def read_card(version_dir: str) -> dict | None:
    """The card data of a pushed version, or None when it has none (pushed before cards)."""
    path = os.path.join(version_dir, layout.MODEL_CARD_JSON)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)
