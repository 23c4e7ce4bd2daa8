"""Dataset hooks: code a dataset file names for what configuration cannot say (a derived
label, engineered features). Each module serves one dataset; see `models/hooks/taxi.py`."""
