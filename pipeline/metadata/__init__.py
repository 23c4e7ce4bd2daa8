"""Readers of a finished run: ML Metadata (`store`), runs (`run`), their summaries,
lineage and pushed versions. Readers never import what produced the run."""
