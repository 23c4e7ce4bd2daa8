"""Validation reports of a pipeline run that render anywhere, with no network.

`pipeline.metadata.run.open_run` finds a run through ML Metadata; each section
module (`overview`, `statistics`, `schema`, `anomalies`, `gate`,
`drift`, `evaluation`) turns it into a `Section` a notebook displays, and
`reports.html.write_report` puts them all in one self-contained HTML page.
"""
