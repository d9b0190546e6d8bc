"""Benchmarks that start real servers; each rewrites its own section of docs/BENCHMARKS.md."""
