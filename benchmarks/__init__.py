"""`make bench`: every `benchmarks/bench_*.py` module with a `run(report)` function.

Each benchmark measures Maillage against a raw baseline on the same machine in the same run
and reports both figures and their ratio through `report`. Run one with
`make bench BENCH_ARGS="people"` (a substring of the module name).
"""
