"""Benchmarks: `python -m bench` generates facilities and times the discovery paths."""
