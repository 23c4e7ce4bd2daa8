"""The end-of-run summary a person reads in the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from pipeline.components.data_gate.decision import GateOutcome
from pipeline.components.data_gate.decision import describe as describe_findings
from pipeline.components.evaluator.eval_config import SUMMARY_METRICS
from pipeline.components.fairness_check.decision import describe as describe_gap
from pipeline.metadata.summary import RunSummary
from pipeline.metadata.verdict import UNFINISHED, Verdict, verdict

LABEL_WIDTH = 12  # "Blessed:    yes": the labels line up in one column


def _line(label: str, text: str) -> str:
    return f"  {label + ':':<{LABEL_WIDTH}}{escape(text)}"


def print_verdict(shown: Verdict, *, console: Console) -> None:
    """The verdict the HTML report's banner shows, in the same words: its title, the
    first fact and the reasons for it, the other facts, then what to do."""
    colour = "green" if shown.good else "yellow" if shown.kind == UNFINISHED else "red"
    console.print(f"  {'Verdict:':<{LABEL_WIDTH}}[bold {colour}]{escape(shown.title)}[/]")
    (label, text), *rest = shown.facts
    console.print(_line(label, text))
    for reason in shown.reasons:
        console.print(f"    [{colour}]{escape(reason)}[/]")
    for label, text in rest:
        console.print(_line(label, text))
    for remedy in shown.remedies:
        console.print(escape(remedy))


def print_summary(summary: RunSummary, *, console: Console, seconds: float) -> None:
    """The end-of-run report a person reads: the verdict first, then the evidence."""
    console.print(f"\n[bold]Run {summary.run_id}[/] finished in {seconds:.1f} s")
    print_verdict(verdict(summary), console=console)
    rows = ", ".join(f"{split} {n}" for split, n in summary.split_rows.items())
    console.print(f"  Rows:       {rows}")
    if summary.gate is not None:
        print_gate(summary.gate, console=console)
    else:
        total = sum(len(found) for found in summary.anomalies.values())
        console.print(f"  Anomalies:  {total}" + ("" if total else " (data matches the schema)"))
        for split, found in summary.anomalies.items():
            for feature, description in found.items():
                console.print(f"    [yellow]{split}/{feature}[/]: {description}")
    metrics = "  ".join(
        f"{name}={summary.metrics[name]:.4g}" for name in SUMMARY_METRICS if name in summary.metrics
    )
    console.print(f"  Eval:       {metrics or 'not evaluated'}")
    if summary.baseline_metrics:
        baseline = "  ".join(
            f"{name}={summary.baseline_metrics[name]:.4g}"
            for name in SUMMARY_METRICS
            if name in summary.baseline_metrics
        )
        console.print(f"  Baseline:   {baseline} (the latest blessed model)")
    print_model_evidence(summary, console=console)


TOP_FEATURES_SHOWN = 5


def print_model_evidence(summary: RunSummary, *, console: Console) -> None:
    """The Tuner's search, the skill and fairness checks and the attributions, one line each."""
    if summary.tuner_trials:
        best = summary.tuner_trials[0]
        values = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in best.items()
            if k not in ("trial_id", "score")
        )
        console.print(
            f"  Tuner:      {len(summary.tuner_trials)} trials; lowest validation log loss "
            f"{best['score']:.4f} with {values}"
        )
    if summary.skill is not None:
        verdict = "[green]beats[/]" if summary.skill.passed else "[red]does not beat[/]"
        scores = ", ".join(
            f"{c.metric} {c.candidate:.4g} vs {c.trivial:.4g}"
            for c in summary.skill.comparisons
            if c.candidate is not None
        )
        margin = summary.skill.margin
        console.print(
            f"  Skill:      {verdict} the trivial predictor by the margin {margin:g} ({scores})"
        )
    if summary.fairness is not None:
        breaches = summary.fairness.breaches
        mode = "blocking" if summary.fairness.blocking else "reported, not blocking"
        if not breaches:
            console.print(f"  Fairness:   every error-rate gap within its limit ({mode})")
        elif summary.fairness.blocked:
            # Listed in the verdict above, as the reason the model is not blessed.
            console.print(f"  Fairness:   {len(breaches)} gap(s) over the limit ({mode})")
        else:
            console.print(f"  Fairness:   {len(breaches)} gap(s) over the limit ({mode})")
            for gap in breaches:
                console.print(f"    [yellow]{describe_gap(gap)}[/]")
    if summary.top_features:
        top = ", ".join(summary.top_features[:TOP_FEATURES_SHOWN])
        console.print(f"  Explained:  most important features {top}")


def print_gate(outcome: GateOutcome, *, console: Console) -> None:
    """The data gate's decision and every finding, blocking ones first."""
    against = (
        "drift measured against the last accepted data"
        if outcome.compared_with
        else "no earlier accepted data to measure drift against"
    )
    verdict = "[green]passed[/]" if outcome.passed else "[red]blocked[/]"
    console.print(f"  Data gate:  {verdict}; {against}")
    for line in describe_findings(outcome.blocking):
        console.print(f"    [red]{line}[/]")
    # Accepted with --allow-anomalies, or notes (an unknown column, too few rows).
    for line in describe_findings([f for f in outcome.findings if not f.blocking]):
        console.print(f"    [yellow]not blocking: {line}[/]")
