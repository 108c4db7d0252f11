"""A real gateway process, driven from outside by grpcurl over real gRPC."""

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GRPCURL = str(BIN / "grpcurl")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GatewayProcess:
    process: subprocess.Popen[str]
    address: str
    sandbox_url: str
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_event(self, event: str, timeout: float = 20.0, **fields: str) -> dict:
        """The first JSON log line of `event` whose fields match, waiting for it."""

        def found() -> dict | None:
            for line in self.log:
                if not line.startswith("{"):
                    continue
                entry = json.loads(line)
                if entry.get("event") == event and all(
                    entry.get(k) == v for k, v in fields.items()
                ):
                    return entry
            return None

        with self.changed:
            self.changed.wait_for(lambda: found() is not None, timeout)
        entry = found()
        if entry is None:
            log = "".join(self.log)
            raise AssertionError(f"no {event} {fields} in the log:\n{log}")
        return entry

    def grpcurl(
        self,
        *args: str,
        data: dict[str, object] | None = None,
        flags: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        command = [GRPCURL, "-plaintext", "-max-time", "30", *flags]
        if data is not None:
            command += ["-d", json.dumps(data)]
        command += [self.address, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    def call(self, method: str, data: dict[str, object]) -> dict[str, object]:
        done = self.grpcurl(method, data=data)
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)

    def sandbox_get(self, path: str):  # noqa: ANN201 - whatever JSON the path gives
        with urllib.request.urlopen(self.sandbox_url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def sandbox_stats(self) -> dict[str, dict[str, int]]:
        return self.sandbox_get("/_sandbox/stats")

    def set_faults(self, spec: str) -> None:
        request = urllib.request.Request(
            self.sandbox_url + "/_sandbox/faults", data=spec.encode(), method="PUT"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200


def _pump(
    stream, lines: "queue.Queue[str]", log: list[str], changed: threading.Condition
) -> None:
    for line in stream:
        with changed:
            log.append(line)
            changed.notify_all()
        lines.put(line)


def start_gateway(tmp: Path, **env: str) -> GatewayProcess:
    port, sandbox_port = free_port(), free_port()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("RESGW_")
    }
    environment.update(
        {
            "RESGW_GRPC_ADDRESS": f"127.0.0.1:{port}",
            "RESGW_SANDBOX_ADDRESS": f"127.0.0.1:{sandbox_port}",
            # The dashboard's side port; never the default 8080 in tests.
            "RESGW_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
            "RESGW_DATA_DIR": str(tmp),
            "RESGW_LOG_FORMAT": "json",
        }
    )
    environment.update(env)
    process = subprocess.Popen(
        [str(BIN / "reservation-gateway"), "serve"],
        cwd=ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    gateway = GatewayProcess(
        process, f"127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    )
    gateway.reader = follow(process, '"gateway.serving"', gateway.log, gateway.changed)
    return gateway


def follow(
    process: subprocess.Popen[str],
    marker: str,
    log: list[str],
    changed: threading.Condition | None = None,
) -> threading.Thread:
    """Read the process's stderr into `log` until a line holds `marker`.

    The reading thread goes on collecting lines until the process ends; it
    is returned so that a caller can join it after stopping the process.
    """
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=_pump,
        args=(process.stderr, lines, log, changed or threading.Condition()),
        daemon=True,
    )
    reader.start()
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty as silence:
            process.kill()
            raise RuntimeError("did not start:\n" + "".join(log)) from silence
        if marker in line:
            return reader
        if process.poll() is not None:
            raise RuntimeError("exited:\n" + "".join(log))


def stop_gateway(gateway: GatewayProcess) -> int:
    """SIGTERM, wait for the exit, and for the last log line to be read."""
    gateway.process.send_signal(signal.SIGTERM)
    code = gateway.process.wait(timeout=30)
    if gateway.reader is not None:
        gateway.reader.join(timeout=10)
    return code


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[GatewayProcess]:
    running = start_gateway(tmp_path_factory.mktemp("gateway"))
    yield running
    stop_gateway(running)


def next_week() -> str:
    return (date.today() + timedelta(days=7)).isoformat()


BISTRO = {
    "name": "Sandbox Bistro",
    "resy_venue_id": "1001",
    "resy_url_slug": "sandbox-1001",
    "resy_city": "new-york-ny",
    "time_zone": "America/New_York",
}
