"""Attributions: permutation importances of each trained model on the eval split."""
