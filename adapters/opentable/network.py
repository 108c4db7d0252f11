"""Where the browser may send requests: the base URL's host and nothing else.

Beside a loopback base URL (the sandbox) any loopback host is allowed too;
beside a real site, loopback is refused, so that a page's scripts cannot
reach the services running next to the gateway. Three layers apply the rule:
a Playwright route on every context (requests and WebSockets), and a host
resolver rule that makes every other name unresolvable inside Chromium, so
not even a DNS query leaves for it.
"""

import ipaddress
import logging
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Route, WebSocketRoute

logger = logging.getLogger(__name__)

_SAME_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_IN_BROWSER_SCHEMES = {"data", "blob", "about"}


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RequestGuard:
    """Decides and enforces, per request, whether the browser may make it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the base URL must be http(s) with a host: {base_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._loopback = is_loopback(self._host)
        self.blocked = 0

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in _IN_BROWSER_SCHEMES:
            return True
        if _SAME_SCHEME.get(parts.scheme) != self._scheme:
            return False
        host = parts.hostname or ""

        return host == self._host or (self._loopback and is_loopback(host))

    def resolver_rules(self) -> str:
        """Chromium's --host-resolver-rules: every name but ours fails to resolve."""
        kept = ["localhost", self._host] if self._loopback else [self._host]

        return ", ".join(["MAP * ~NOTFOUND", *(f"EXCLUDE {host}" for host in kept)])

    async def on_request(self, route: Route) -> None:
        try:
            if self.allows(route.request.url):
                await route.continue_()
                return
            self._refused(route.request.url)
            await route.abort("blockedbyclient")
        except PlaywrightError:
            # The page went away while its request was held; nothing to answer.
            return

    async def on_websocket(self, socket: WebSocketRoute) -> None:
        if self.allows(socket.url):
            socket.connect_to_server()
            return
        self._refused(socket.url)
        await socket.close(code=1008, reason="blocked")

    def _refused(self, url: str) -> None:
        self.blocked += 1
        # The host only: a URL's path and query can carry tokens.
        host = urlsplit(url).hostname or ""
        logger.warning("opentable.request_blocked", extra={"host": host})
