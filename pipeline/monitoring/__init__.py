"""Live traffic against training: `python -m pipeline monitor` reads the server's request logs.

A reader like pipeline.metadata and reports: it reads logs, ML Metadata and
the run's artifacts, and writes only its own summary and page.
"""
