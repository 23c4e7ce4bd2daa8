"""`python -m pipeline`: the commands of `pipeline.cli`."""

from pipeline.cli import main
from pipeline.runners.process import exit_without_final_collection

if __name__ == "__main__":
    exit_without_final_collection(main())
