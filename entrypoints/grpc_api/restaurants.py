"""RestaurantService and WeatherService: validate, call the use case, translate."""

import functools
from datetime import UTC

import grpc

from application.restaurants import RestaurantLookup, RestaurantsAnswer, SearchQuery
from application.weather import GetWeather
from domain.errors import FieldViolation, InvalidRequestError
from domain.models import Coordinates, Restaurant
from domain.ports import Clock
from domain.validation import check_coordinates, check_search
from entrypoints.grpc_api.calls import rpc
from entrypoints.grpc_api.translate import SOURCES, restaurant_ref_to_proto, timestamp
from reservations.v1 import (
    restaurants_pb2,
    restaurants_pb2_grpc,
    weather_pb2,
    weather_pb2_grpc,
)

DEFAULT_LIMIT = 10
DEFAULT_RADIUS_M = 5_000.0


@functools.lru_cache(maxsize=4096)
def restaurant_to_proto(restaurant: Restaurant) -> restaurants_pb2.Restaurant:
    """Memoised: a hot search answers the same restaurants again and again.

    Callers must not change the message; repeated fields copy it on append.
    """
    message = restaurants_pb2.Restaurant(
        place_id=restaurant.place_id,
        name=restaurant.name,
        address=restaurant.address,
        rating=restaurant.rating or 0.0,
        rating_count=restaurant.rating_count,
        price_level=restaurant.price_level,
        cuisines=list(restaurant.cuisines),
        website=restaurant.website,
        phone=restaurant.phone,
        time_zone=restaurant.time_zone,
        ref=restaurant_ref_to_proto(restaurant.ref()),
    )
    if restaurant.location is not None:
        message.location.latitude = restaurant.location.latitude
        message.location.longitude = restaurant.location.longitude
    return message


class RestaurantServicer(restaurants_pb2_grpc.RestaurantServiceServicer):
    def __init__(self, lookup: RestaurantLookup, clock: Clock) -> None:
        self.lookup = lookup
        self.clock = clock

    @rpc
    async def SearchRestaurants(
        self,
        request: restaurants_pb2.SearchRestaurantsRequest,
        context: grpc.aio.ServicerContext,
    ) -> restaurants_pb2.SearchRestaurantsResponse:
        bias = None
        if request.HasField("location_bias"):
            bias = (request.location_bias.latitude, request.location_bias.longitude)
        limit = request.limit or DEFAULT_LIMIT
        radius = request.radius_meters or DEFAULT_RADIUS_M
        violations = check_search(request.query, bias, radius, limit)
        if violations:
            raise InvalidRequestError(violations)
        near = Coordinates(*bias) if bias else None
        answer = await self.lookup.search(
            SearchQuery(request.query.strip(), near, radius, limit)
        )

        return restaurants_pb2.SearchRestaurantsResponse(
            restaurants=[restaurant_to_proto(r) for r in answer.restaurants],
            source=SOURCES[answer.source],
            as_of=timestamp(answer.as_of),
            message=answer.message,
        )

    @rpc
    async def GetRestaurant(
        self,
        request: restaurants_pb2.GetRestaurantRequest,
        context: grpc.aio.ServicerContext,
    ) -> restaurants_pb2.GetRestaurantResponse:
        place_id = request.place_id.strip()
        if not place_id or len(place_id) > 300 or "/" in place_id:
            raise InvalidRequestError(
                [FieldViolation("place_id", "must be a Google place id")]
            )
        answer: RestaurantsAnswer = await self.lookup.get(place_id)

        return restaurants_pb2.GetRestaurantResponse(
            restaurant=restaurant_to_proto(answer.restaurants[0]),
            source=SOURCES[answer.source],
            as_of=timestamp(answer.as_of),
        )


class WeatherServicer(weather_pb2_grpc.WeatherServiceServicer):
    def __init__(self, weather: GetWeather, clock: Clock) -> None:
        self.weather = weather
        self.clock = clock

    @rpc
    async def GetWeather(
        self, request: weather_pb2.GetWeatherRequest, context: grpc.aio.ServicerContext
    ) -> weather_pb2.GetWeatherResponse:
        violations = []
        if not request.HasField("location"):
            violations.append(FieldViolation("location", "is required"))
        else:
            violations += check_coordinates(
                request.location.latitude, request.location.longitude, "location."
            )
        when = None
        if request.HasField("time"):
            try:
                when = request.time.ToDatetime(tzinfo=UTC)
            except (ValueError, OverflowError):
                raise InvalidRequestError(
                    [FieldViolation("time", "is not a valid timestamp")]
                ) from None
            ahead = (when - self.clock.now()).total_seconds()
            if not -3600 <= ahead <= 5 * 86_400:
                violations.append(
                    FieldViolation("time", "must be from an hour ago to 5 days ahead")
                )
        if violations:
            raise InvalidRequestError(violations)
        at = Coordinates(request.location.latitude, request.location.longitude)
        answer = await self.weather(at, when)
        report = answer.report

        response = weather_pb2.GetWeatherResponse(
            at=timestamp(report.at),
            summary=report.summary,
            temperature_c=report.temperature_c,
            feels_like_c=report.feels_like_c or 0.0,
            humidity_percent=report.humidity_percent or 0,
            wind_kph=report.wind_kph or 0.0,
            precipitation_probability=report.precipitation_probability or 0.0,
            is_forecast=report.is_forecast,
            source=SOURCES[answer.source],
            as_of=timestamp(answer.as_of),
        )
        return response
