"""A session with known Resy secrets leaves them in no answer, log or ledger row.

The gateway runs as a real process with credentials, pointed at a sandbox
process on loopback; grpcurl drives healthy calls, every fault that yields an
error message, an open breaker and bad input. Then everything the session
left behind is scanned for the secrets.
"""

import json
import os
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    BIN,
    BISTRO,
    follow,
    free_port,
    start_gateway,
    stop_gateway,
)

CHECK = "reservations.v1.AvailabilityService/CheckAvailability"
BREAKERS = "reservations.v1.OperationsService/ListCircuitBreakers"
HEALTH = "grpc.health.v1.Health/Check"
HEADER_FORM = "ResyAPI api_key="

# Each fault, and the reason the failed Resy layer must report for it.
FAULTS = (
    ("resy=badkey", "UPSTREAM_AUTH_FAILED"),
    ("resy=outage", "UPSTREAM_UNAVAILABLE"),
    ("resy=fail:2", "UPSTREAM_UNAVAILABLE"),
    ("resy=429", "UPSTREAM_UNAVAILABLE"),
    ("resy=429-seconds:1", "UPSTREAM_UNAVAILABLE"),
    ("resy=429-date:5", "UPSTREAM_UNAVAILABLE"),
    ("resy=503-seconds:1", "UPSTREAM_UNAVAILABLE"),
    ("resy=reset", "UPSTREAM_UNAVAILABLE"),
    ("resy=schema", "UPSTREAM_SCHEMA_CHANGED"),
    ("resy=schema:tokenless", "UPSTREAM_SCHEMA_CHANGED"),
    ("resy=schema:html", "UPSTREAM_SCHEMA_CHANGED"),
)
BREAKER_FAIL_MAX = 5  # Resy's default, which this session keeps

BAD_INPUTS = (
    {
        "restaurant": {**BISTRO, "time_zone": "Nowhere/Special"},
        "date": (date.today() - timedelta(days=2)).isoformat(),
        "party_size": 0,
    },
    {
        "restaurant": {**BISTRO, "resy_venue_id": "not-a-number"},
        "date": "tomorrow",
        "party_size": 99,
    },
)


@dataclass
class Output:
    """What one grpcurl run printed, and what it was for."""

    label: str
    returncode: int
    stdout: str
    stderr: str

    def answer(self) -> dict[str, object]:
        assert self.returncode == 0, f"{self.label}: {self.stderr}{self.stdout}"
        return json.loads(self.stdout)

    def error(self) -> dict[str, object]:
        assert self.returncode != 0, f"{self.label} succeeded: {self.stdout}"
        return json.loads(self.stdout or self.stderr)


@dataclass
class Session:
    api_key: str
    auth_token: str
    data_dir: Path
    outputs: list[Output] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    sandbox_requests: int = 0
    exit_code: int | None = None

    def output(self, label: str) -> Output:
        return next(o for o in self.outputs if o.label == label)

    def needles(self) -> dict[str, str]:
        """What must never appear, named for the failure message."""
        return {
            "the Resy API key": self.api_key,
            "the Resy auth token": self.auth_token,
            "the random part of the API key": self.api_key[-20:],
            "the random part of the auth token": self.auth_token[-20:],
            "the Authorization header form": HEADER_FORM,
        }


def _made_up_secrets() -> tuple[str, str]:
    # The sandbox takes any key of 8 to 128 letters, digits, '_' or '-'.
    key = "leakcheckKey" + secrets.token_hex(10)
    token = "leakcheckToken" + secrets.token_hex(10)

    return key, token


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[str]:
    """A sandbox process of its own on loopback; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESGW_")}
    process = subprocess.Popen(
        [str(BIN / "reservation-gateway"), "sandbox", "--address", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        follow(process, "sandbox.started", [])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _check(day_offset: int, party_size: int = 2) -> dict[str, object]:
    day = (date.today() + timedelta(days=day_offset)).isoformat()
    return {"restaurant": BISTRO, "date": day, "party_size": party_size}


@pytest.fixture(scope="module")
def session(tmp_path_factory, sandbox) -> Session:
    """Run the whole session, stop the gateway, and keep what it left behind."""
    api_key, auth_token = _made_up_secrets()
    data_dir = tmp_path_factory.mktemp("gateway")
    gateway = start_gateway(
        data_dir,
        RESGW_RESY_API_KEY=api_key,
        RESGW_RESY_AUTH_TOKEN=auth_token,
        RESGW_RESY_BASE_URL=sandbox,
        RESGW_LOG_LEVEL="DEBUG",
        # Retries happen and are logged, but never wait.
        RESGW_RESY_MAX_ATTEMPTS="2",
        RESGW_RESY_MIN_WAIT="0",
        RESGW_RESY_MAX_WAIT="0",
    )
    # With credentials the gateway starts no sandbox: aim the helpers at ours.
    gateway.sandbox_url = sandbox
    result = Session(api_key, auth_token, data_dir, log=gateway.log)

    def run(label: str, *args: str, data: dict[str, object] | None = None) -> Output:
        done = gateway.grpcurl(*args, data=data, flags=("-format-error",))
        output = Output(label, done.returncode, done.stdout, done.stderr)
        result.outputs.append(output)
        return output

    try:
        run("healthy", CHECK, data=_check(2))
        run(
            "unknown venue",
            CHECK,
            data={**_check(2), "restaurant": {**BISTRO, "resy_venue_id": "424242"}},
        )
        offset = 3
        for spec, _reason in FAULTS:
            gateway.set_faults(spec)
            run(spec, CHECK, data=_check(offset))
            gateway.set_faults("resy=none")
            # A success resets the breaker's count, so each fault reaches Resy.
            run(f"healthy after {spec}", CHECK, data=_check(offset + 1))
            offset += 2
        gateway.set_faults("resy=outage")
        for attempt in range(BREAKER_FAIL_MAX):
            run(f"outage {attempt}", CHECK, data=_check(offset))
            offset += 1
        run("breaker open", CHECK, data=_check(offset))
        run("breakers", BREAKERS, data={})
        run("resy health", HEALTH, data={"service": "upstream.resy"})
        for index, request in enumerate(BAD_INPUTS):
            run(f"bad input {index}", CHECK, data=request)
        result.sandbox_requests = (
            gateway.sandbox_stats().get("resy", {}).get("/4/find", 0)
        )
    finally:
        result.exit_code = stop_gateway(gateway)

    return result


def _leaks(text: str, needles: dict[str, str]) -> list[str]:
    return [name for name, needle in needles.items() if needle in text]


def _where(source: str, text: str, needles: dict[str, str]) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for name in _leaks(line, needles):
            found.append(f"{name} in {source}, line {number}: {line[:300]}")
    return found


def test_the_session_reached_resy_with_the_custom_key_and_saw_every_fault(session):
    healthy = session.output("healthy").answer()
    failed = {spec: session.output(spec).answer() for spec, _ in FAULTS}

    assert healthy["source"] == "SOURCE_LIVE", healthy
    assert healthy["slots"], healthy
    for spec, reason in FAULTS:
        assert failed[spec]["failures"][0]["reason"] == reason, (spec, failed[spec])
        assert (
            session.output(f"healthy after {spec}").answer()["source"] == "SOURCE_LIVE"
        )
    assert (
        session.output("breaker open").answer()["failures"][0]["reason"]
        == "CIRCUIT_OPEN"
    )
    assert session.sandbox_requests >= 2 * len(FAULTS) + 2
    assert session.exit_code == 0


def test_bad_input_fails_with_field_violations(session):
    for index in range(len(BAD_INPUTS)):
        error = session.output(f"bad input {index}").error()

        assert error["code"] == 3, error
        kinds = {d["@type"].rsplit(".", 1)[-1] for d in error["details"]}
        assert {"BadRequest", "ErrorInfo", "LocalizedMessage"} <= kinds, error


def test_no_secret_in_anything_grpcurl_printed(session):
    needles = session.needles()
    found = []
    for output in session.outputs:
        found += _where(f"grpcurl stdout of {output.label!r}", output.stdout, needles)
        found += _where(f"grpcurl stderr of {output.label!r}", output.stderr, needles)

    assert not found, "\n".join(found)


def test_no_secret_in_the_gateway_log(session):
    log = "".join(session.log)
    needles = session.needles()

    assert '"retry.scheduled"' in log and '"breaker.opened"' in log, "log too thin"
    assert any('"level": "DEBUG"' in line for line in session.log), "not at DEBUG"
    found = _where("the gateway log", log, needles)

    assert not found, "\n".join(found)


def test_no_secret_in_any_ledger_row_or_database_file(session):
    needles = session.needles()
    found = []
    with sqlite3.connect(session.data_dir / "gateway.db") as db:
        tables = [
            name
            for (name,) in db.execute(
                "select name from sqlite_master where type = 'table'"
            )
        ]
        calls = db.execute("select count(*) from api_calls").fetchone()[0]
        for table in tables:
            cursor = db.execute(f'select * from "{table}"')
            columns = [c[0] for c in cursor.description]
            for row_number, row in enumerate(cursor, start=1):
                for column, value in zip(columns, row, strict=True):
                    for name in _leaks(str(value), needles):
                        found.append(f"{name} in {table} row {row_number}, {column}")
    for path in sorted(session.data_dir.iterdir()):
        if path.is_file():
            raw = path.read_bytes()
            for name, needle in needles.items():
                if needle.encode() in raw:
                    found.append(f"{name} in the bytes of {path.name}")

    assert calls >= session.sandbox_requests > 0
    assert not found, "\n".join(found)
