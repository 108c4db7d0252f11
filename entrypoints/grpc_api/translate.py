"""Protobuf messages to domain values and back; nothing else crosses this line."""

from datetime import datetime

from google.protobuf import duration_pb2, timestamp_pb2

from domain.models import (
    AvailabilityAnswer,
    DeepLink,
    LayerFailure,
    Platform,
    RestaurantRef,
    Slot,
    Source,
)
from reservations.v1 import availability_pb2, common_pb2

PLATFORMS = {
    Platform.RESY: common_pb2.PLATFORM_RESY,
    Platform.OPENTABLE: common_pb2.PLATFORM_OPENTABLE,
}
SOURCES = {
    Source.LIVE: common_pb2.SOURCE_LIVE,
    Source.HOT_CACHE: common_pb2.SOURCE_HOT_CACHE,
    Source.WARM_CACHE: common_pb2.SOURCE_WARM_CACHE,
    Source.STALE: common_pb2.SOURCE_STALE,
    Source.NONE: common_pb2.SOURCE_NONE,
}


def restaurant_from_proto(ref: common_pb2.RestaurantRef) -> RestaurantRef:
    return RestaurantRef(
        name=ref.name.strip(),
        time_zone=ref.time_zone,
        resy_venue_id=ref.resy_venue_id.strip(),
        resy_url_slug=ref.resy_url_slug.strip(),
        resy_city=ref.resy_city.strip(),
        opentable_slug=ref.opentable_slug.strip(),
        website=ref.website.strip(),
        address=ref.address.strip(),
    )


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def duration(seconds: float) -> duration_pb2.Duration:
    span = duration_pb2.Duration()
    span.FromMilliseconds(int(seconds * 1000))
    return span


def display_time(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def slot_to_proto(slot: Slot, zone: str) -> availability_pb2.Slot:
    # The slot's own zone (the platform's idea of the venue) wins over the
    # caller's, so that time_zone always matches start_local's offset.
    zone = getattr(slot.start.tzinfo, "key", "") or zone
    message = availability_pb2.Slot(
        start_local=slot.start.isoformat(),
        time_zone=zone,
        start=timestamp(slot.start),
        seating_type=slot.seating,
        platform=PLATFORMS[slot.platform],
        token=slot.token,
        display_time=display_time(slot.start),
    )
    if slot.end is not None:
        message.end.CopyFrom(timestamp(slot.end))
    return message


def link_to_proto(link: DeepLink) -> common_pb2.DeepLink:
    platform = PLATFORMS.get(link.platform) if link.platform else None
    return common_pb2.DeepLink(
        label=link.label,
        url=link.url,
        platform=platform or common_pb2.PLATFORM_UNSPECIFIED,
    )


def failure_to_proto(failure: LayerFailure) -> common_pb2.LayerFailure:
    message = common_pb2.LayerFailure(
        provider=failure.provider, reason=failure.reason, message=failure.message
    )
    if failure.retry_after is not None:
        message.retry_after.CopyFrom(duration(failure.retry_after))
    return message


def availability_to_proto(
    answer: AvailabilityAnswer, zone: str
) -> availability_pb2.CheckAvailabilityResponse:
    response = availability_pb2.CheckAvailabilityResponse(
        slots=[slot_to_proto(s, zone) for s in answer.slots],
        source=SOURCES[answer.source],
        message=answer.message,
        deep_links=[link_to_proto(link) for link in answer.deep_links],
        failures=[failure_to_proto(f) for f in answer.failures],
        age_seconds=answer.age_seconds,
        provider=answer.provider,
    )
    if answer.as_of is not None:
        response.as_of.CopyFrom(timestamp(answer.as_of))
    return response


def restaurant_ref_to_proto(ref: RestaurantRef) -> common_pb2.RestaurantRef:
    return common_pb2.RestaurantRef(
        name=ref.name,
        time_zone=ref.time_zone,
        resy_venue_id=ref.resy_venue_id,
        resy_url_slug=ref.resy_url_slug,
        resy_city=ref.resy_city,
        opentable_slug=ref.opentable_slug,
        website=ref.website,
        address=ref.address,
    )
