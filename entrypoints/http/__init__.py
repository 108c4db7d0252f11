"""The HTTP side port: the cost dashboard, its JSON endpoints and /metrics."""
