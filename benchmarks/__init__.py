"""srcgrad benchmarks: `python3 benchmarks/run.py` prints every table."""
