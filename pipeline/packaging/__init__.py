"""A pushed version packaged for a serving platform (SageMaker's TF Serving container)."""
