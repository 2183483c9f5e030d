"""Benchmarks of the festival hub against baselines measured in the same run.

Run ``python -m bench`` (see bench/__main__.py and docs/benchmarks.md). Not
part of the test suite; tests/server/test_bench_quick.py only smoke-tests it.
"""
