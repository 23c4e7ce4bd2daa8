"""What runs the pipeline: the local runner and its process helpers, the Beam flags,
the config builders, and the compile targets for Kubeflow V2 and Airflow."""
