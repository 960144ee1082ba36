"""Benchmarks of Sinergi: each module runs with ``python -m bench.<name> [--full]``."""
