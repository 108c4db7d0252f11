"""A loopback imitation of the upstreams, with switches for their faults."""
