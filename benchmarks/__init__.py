"""nodesms benchmarks: ``python -m benchmarks`` runs every ``bench_*.py`` (see README.md)."""
