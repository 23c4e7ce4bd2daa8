"""Run the pipeline on this machine and push a blessed model for TensorFlow Serving.

    python run_local.py                 # the taxi sample shipped with tfx
    python run_local.py --data-root DIR # a folder of CSV files
    python run_local.py --help          # every flag

The same as `python -m pipeline run`; the flags are in pipeline/cli/run.py.
"""

from pipeline.cli.run import main
from pipeline.runners.process import exit_without_final_collection

if __name__ == "__main__":
    exit_without_final_collection(main())
