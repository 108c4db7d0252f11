"""Fault switches for the sandbox's upstreams, parsed from a small spec string.

Grammar (the value of RESGW_SANDBOX_FAULTS, or the body of PUT /_sandbox/faults):

    spec     := "" | entry ("," entry)*
    entry    := upstream "=" fault
    upstream := lower-case name of an installed upstream, e.g. "resy"
    fault    := name | name ":" argument

Entries for the same upstream add up, left to right ("resy=fail:3,resy=slow:0.2").
Spaces around entries are ignored. Faults every upstream understands:

    none           clear every fault of this upstream
    outage         503 on every call
    fail:N         the next N calls fail (503, 500, 503, ...), then healthy
    rate:P         each call fails with 503 with probability P (0..1)
    seed:N         seed of the random draw behind rate:P (default 0)
    429            429 without Retry-After
    429-seconds:N  429 with "Retry-After: N"
    429-date:N     429 with Retry-After as an IMF-fixdate N seconds ahead
    503-seconds:N  503 with "Retry-After: N"
    slow:SECONDS   wait this long before answering (combines with the others)
    reset          drop the connection without answering
    hang           never answer; the client has to give up

The status faults (429*, 503-seconds) replace one another: the last one wins.
An upstream may declare faults of its own (Resy: badkey, headers, lenient,
schema[:variant]); those are listed with the upstream's module.

Precedence for one call: slow, then hang, reset, outage, fail:N, the status
fault, rate:P, and last the upstream's own faults and gates.
"""

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime

_UPSTREAM = re.compile(r"[a-z][a-z0-9_-]*\Z")
_FLAGS = {"outage", "reset", "hang"}
_STATUS_FAULTS = {"429": 429, "429-seconds": 429, "429-date": 429, "503-seconds": 503}

# An upstream's own faults: name -> allowed arguments ((): takes none; otherwise
# the argument is optional and defaults to the first value).
ExtraFaults = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Failure:
    """What a faulty call answers instead of the real thing."""

    status: int
    retry_after: str | None = None


@dataclass(frozen=True, slots=True)
class StatusFault:
    name: str
    status: int
    seconds: int | None = None

    def failure(self, now: datetime) -> Failure:
        if self.seconds is None:
            return Failure(self.status)
        if self.name == "429-date":
            when = now + timedelta(seconds=self.seconds)
            return Failure(self.status, format_datetime(when, usegmt=True))

        return Failure(self.status, str(self.seconds))


@dataclass(slots=True)
class UpstreamFaults:
    """The fault settings of one upstream, plus the state they use (counters)."""

    outage: bool = False
    fail_remaining: int = 0
    fail_served: int = 0
    rate: float = 0.0
    seed: int = 0
    status: StatusFault | None = None
    slow: float = 0.0
    reset: bool = False
    hang: bool = False
    extras: dict[str, str] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))

    def has(self, name: str) -> bool:
        return name in self.extras

    def next_failure(self, now: datetime) -> Failure | None:
        """The failure this call gets from the generic faults, or None."""
        if self.outage:
            return Failure(503)
        if self.fail_remaining > 0:
            self.fail_remaining -= 1
            self.fail_served += 1
            return Failure(503 if self.fail_served % 2 else 500)
        if self.status is not None:
            return self.status.failure(now)
        if self.rate > 0 and self._rng.random() < self.rate:
            return Failure(503)

        return None

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "outage": self.outage,
            "fail_remaining": self.fail_remaining,
            "rate": self.rate,
            "seed": self.seed,
            "status": None if self.status is None else self.status.name,
            "status_seconds": None if self.status is None else self.status.seconds,
            "slow": self.slow,
            "reset": self.reset,
            "hang": self.hang,
        }
        shown.update(self.extras)

        return shown


def parse_spec(
    spec: str, extras: Mapping[str, ExtraFaults] | None = None
) -> dict[str, UpstreamFaults]:
    """Parse a spec into settings per upstream named; raise ValueError on garbage.

    With `extras` given, only its upstreams are accepted, each with its own
    extra faults; without it any well-formed upstream name is accepted and
    only the generic faults are.
    """
    parsed: dict[str, UpstreamFaults] = {}
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry and not spec.strip():
            continue
        upstream, sep, fault = entry.partition("=")
        upstream, fault = upstream.strip(), fault.strip()
        if not sep or not fault:
            raise ValueError(f"fault entry {entry!r} is not of the form upstream=fault")
        own = _extras_for(upstream, extras)
        faults = parsed.setdefault(upstream, UpstreamFaults())
        name, _, argument = fault.partition(":")
        _apply(faults, name.strip(), argument.strip(), own, entry)

    return parsed


def _extras_for(upstream: str, extras: Mapping[str, ExtraFaults] | None) -> ExtraFaults:
    if not _UPSTREAM.match(upstream):
        raise ValueError(f"upstream name {upstream!r} is not a lower-case name")
    if extras is None:
        return {}
    if upstream not in extras:
        known = ", ".join(sorted(extras)) or "none"
        raise ValueError(f"unknown upstream {upstream!r}; known: {known}")

    return extras[upstream]


def _apply(
    faults: UpstreamFaults, name: str, arg: str, own: ExtraFaults, entry: str
) -> None:
    if name == "none":
        _no_argument(name, arg, entry)
        _clear(faults)
    elif name in _FLAGS:
        _no_argument(name, arg, entry)
        setattr(faults, name, True)
    elif name == "fail":
        faults.fail_remaining = _count(arg, entry)
        faults.fail_served = 0
    elif name == "rate":
        faults.rate = _number(arg, entry, upper=1.0)
    elif name == "seed":
        faults.seed = _count(arg, entry)
        faults._rng = random.Random(faults.seed)
    elif name == "slow":
        faults.slow = _number(arg, entry, upper=600.0)
    elif name == "429":
        _no_argument(name, arg, entry)
        faults.status = StatusFault(name, 429)
    elif name in _STATUS_FAULTS:
        faults.status = StatusFault(name, _STATUS_FAULTS[name], _count(arg, entry))
    elif name in own:
        faults.extras[name] = _extra_argument(name, arg, own[name], entry)
    else:
        known = sorted(
            {"none", "fail", "rate", "seed", "slow", *_FLAGS, *_STATUS_FAULTS, *own}
        )
        raise ValueError(f"unknown fault {name!r} in {entry!r}; known: {known}")


def _clear(faults: UpstreamFaults) -> None:
    fresh = UpstreamFaults()
    for name in UpstreamFaults.__slots__:
        setattr(faults, name, getattr(fresh, name))


def _no_argument(name: str, arg: str, entry: str) -> None:
    if arg:
        raise ValueError(f"fault {name!r} takes no argument, got {entry!r}")


def _count(arg: str, entry: str) -> int:
    if not arg.isdigit():
        raise ValueError(f"expected a whole number after ':' in {entry!r}")

    return int(arg)


def _number(arg: str, entry: str, upper: float) -> float:
    try:
        value = float(arg)
    except ValueError:
        raise ValueError(f"expected a number after ':' in {entry!r}") from None
    if not 0.0 <= value <= upper:
        raise ValueError(f"expected a number from 0 to {upper:g} in {entry!r}")

    return value


def _extra_argument(name: str, arg: str, allowed: tuple[str, ...], entry: str) -> str:
    if not allowed:
        _no_argument(name, arg, entry)
        return ""
    if not arg:
        return allowed[0]
    if arg not in allowed:
        raise ValueError(f"fault {name!r} takes one of {list(allowed)}, got {entry!r}")

    return arg


class FaultBoard:
    """The live fault settings of every upstream; changed while the sandbox runs."""

    def __init__(
        self, spec: str = "", extras: Mapping[str, ExtraFaults] | None = None
    ) -> None:
        self._extras = extras
        self._by_upstream: dict[str, UpstreamFaults] = {}
        self.apply(spec)

    def apply(self, spec: str) -> list[str]:
        """Replace the faults of the upstreams the spec names; return their names."""
        parsed = parse_spec(spec, self._extras)
        self._by_upstream.update(parsed)

        return sorted(parsed)

    def clear(self, upstreams: Iterable[str] | None = None) -> None:
        names = list(self._by_upstream) if upstreams is None else list(upstreams)
        for name in names:
            self._by_upstream.pop(name, None)

    def for_upstream(self, upstream: str) -> UpstreamFaults:
        """The settings of one upstream; a healthy default when none are set."""
        return self._by_upstream.setdefault(upstream, UpstreamFaults())

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {name: f.as_dict() for name, f in sorted(self._by_upstream.items())}
