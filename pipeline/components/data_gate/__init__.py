"""DataGate: stops a run on anomalies, empty splits, skew or drift, before Transform."""
