"""The stock Evaluator, configured: what it computes, its bars, and the reader of its results."""
