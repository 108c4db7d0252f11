"""Per-request context that flows from the entrypoint down to the adapters."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")

# Monotonic time (the clock port's) by which the caller wants an answer.
deadline: ContextVar[float | None] = ContextVar("deadline", default=None)
