"""Benchmarks: run each from the repository root as ``.venv/bin/python -m bench.NAME``.

They print figures (ratios against a baseline measured in the same run); they are
not tests. Running them as modules keeps ``bench/operator.py`` from shadowing the
standard library's ``operator``.
"""
