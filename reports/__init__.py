"""Validation reports of a pipeline run that render anywhere, with no network.

`pipeline.metadata.run.open_run` finds a run through ML Metadata; `verdict`
(the banner: what the run came to, in the terminal's words) and each section
module (`overview`, `statistics`, `schema`, `anomalies`, `gate`, `drift`,
`evaluation`, ...) turn it into a `Section` a notebook displays, and
`reports.html.write_report` puts them all in one self-contained HTML page.
"""
