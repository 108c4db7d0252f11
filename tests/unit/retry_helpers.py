"""What the retry tests share: a scripted upstream call and a transient error.

Their `clock` fixture is the unit tests' FakeClock, from conftest.py.
"""

from domain.errors import TransientAPIError


class Upstream:
    """An upstream call that raises or returns its scripted outcomes in turn."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def transient(status: int = 503, retry_after: float | None = None) -> TransientAPIError:
    return TransientAPIError("upstream trouble", status, retry_after=retry_after)
