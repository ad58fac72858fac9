"""Reproducible performance runs (`python -m benchmarks [PART...] [--quick]`): figures and ratios, not tests.

Every goal is a ratio against a baseline measured in the same run, because absolute figures on shared machines
drift. Each part writes its figures as JSON under benchmarks/results/ (gitignored).
"""
