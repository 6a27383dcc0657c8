"""Developer tooling: demo data, the synthetic generator and the benchmark.

Only management commands and ``make`` targets import this package; no runtime module does (a test enforces it).
"""
