"""What a Places call costs, for MeteredTransport: the SKU its mask bills at."""

import httpx

from adapters.places.masks import Operation, sku_of_header
from adapters.places.prices import micros_per_call

_MASK_HEADER = "X-Goog-FieldMask"


def _operation(request: httpx.Request) -> Operation | None:
    path = request.url.path
    if request.method == "POST" and path.endswith("/places:searchText"):
        return Operation.TEXT_SEARCH
    if request.method == "GET" and path.startswith("/v1/places/"):
        return Operation.PLACE_DETAILS

    return None


def places_operation(request: httpx.Request) -> str:
    """The ledger's operation name: "places.search" or "places.details"."""
    operation = _operation(request)
    if operation is Operation.TEXT_SEARCH:
        return "places.search"

    return "places.details" if operation is Operation.PLACE_DETAILS else "places.other"


def places_cost(
    request: httpx.Request, response: httpx.Response | None
) -> tuple[str, int]:
    """The SKU the request's mask implies and its cost in micro-dollars."""
    # Only a 2xx answer is billed; an error or no answer costs 0 but still
    # names the SKU it would have billed at.
    operation = _operation(request)
    mask = request.headers.get(_MASK_HEADER) or request.url.params.get("fields", "")
    if operation is None or not mask:
        return "", 0
    sku = sku_of_header(operation, mask)
    if response is None or not 200 <= response.status_code < 300:
        return sku, 0

    return sku, micros_per_call(sku)
