"""What a cache key says about its entry: the kind of answer and its provider."""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Kinds whose answers always come from one upstream; the key need not name it.
KIND_PROVIDERS: Mapping[str, str] = MappingProxyType(
    {
        "search": "google_places",
        "place": "google_places",
        "weather": "weather",
    }
)

UNKNOWN_KIND = "other"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kind: str
    provider: str


def describe(key: str, providers: Mapping[str, str] = KIND_PROVIDERS) -> KeyInfo:
    """Kind is the key's first segment; the provider is implied by it or second.

    `availability:resy:1001:2027-01-15:2` is kind "availability" from "resy";
    `search:...` is kind "search" from "google_places".
    """
    kind, _, rest = key.partition(":")
    if not rest:
        return KeyInfo(kind=UNKNOWN_KIND, provider="")
    provider = providers.get(kind)
    if provider is None:
        provider = rest.partition(":")[0]

    return KeyInfo(kind=kind, provider=provider)


def kind_of(key: str) -> str:
    """The key's first segment, or "other" for a key without one."""
    kind, colon, _ = key.partition(":")

    return kind if colon else UNKNOWN_KIND
