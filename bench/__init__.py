"""Benchmarks: each one starts the real servers it needs and rewrites its own section of docs/BENCHMARKS.md."""
