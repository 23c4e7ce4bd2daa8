"""The verdict banner: the first thing the report and the notebook show.

The words come from `pipeline.metadata.verdict`, which the terminal prints
too; this module only lays them out, in colour and in words, so the banner
reads the same with scripts off and in black and white.
"""

from __future__ import annotations

import html
import re

from pipeline.metadata.run import Run
from pipeline.metadata.summary import summarize
from pipeline.metadata.verdict import UNFINISHED, Verdict, verdict
from reports.section import Section

# A command-line flag and its value, shown as code: the part of a remedy a person types.
_FLAG = re.compile(r"(--[a-z][a-z-]*(?: [^\s()]+)?)")


def _with_code(text: str) -> str:
    """`text` escaped, with its command-line flags in <code>."""
    return "".join(
        f"<code>{html.escape(part)}</code>" if i % 2 else html.escape(part)
        for i, part in enumerate(_FLAG.split(text))
    )


def _tone(shown: Verdict) -> str:
    if shown.good:
        return "good"
    return "unfinished" if shown.kind == UNFINISHED else "bad"


def banner_html(shown: Verdict) -> str:
    """The verdict as one coloured box: title, facts, reasons and remedies."""
    (label, text), *rest = shown.facts
    parts = [
        f'<p class="title">{html.escape(shown.title)}</p>',
        f"<p><strong>{html.escape(label)}:</strong> {html.escape(text)}</p>",
    ]
    if shown.reasons:
        items = "".join(f"<li>{html.escape(reason)}</li>" for reason in shown.reasons)
        parts.append(f"<ul>{items}</ul>")
    parts += [f"<p><strong>{html.escape(k)}:</strong> {html.escape(v)}</p>" for k, v in rest]
    if shown.remedies:
        items = "".join(f"<li>{_with_code(remedy)}</li>" for remedy in shown.remedies)
        parts.append(f"<p><strong>What to do:</strong></p><ul>{items}</ul>")
    return (
        f'<div class="verdict verdict-{_tone(shown)}" data-kind="{html.escape(shown.kind)}">'
        f"{''.join(parts)}</div>"
    )


def report(run: Run) -> Section:
    """The run's verdict: blessed and pushed, or why not and what to do."""
    section = Section("Verdict", "verdict")
    section.block(banner_html(verdict(summarize(run))))
    return section
