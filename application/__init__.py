"""Use cases: one module per job, written against the ports only."""
