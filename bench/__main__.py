"""Benchmarks: `python -m bench --help`."""
from bench.run import main

main()
