"""The browser's processes, found through /proc: to check, measure and reap them.

Playwright starts Chromium as the leader of a process group of its own, and
the zygotes, renderers and utility processes join that group. Chromium's
crash handlers leave it (they are re-parented to init), but their command
lines name the browser's XDG_CONFIG_HOME, which lies in the pool's own
temporary directory. So a browser's processes are its group plus every
process whose command line mentions that directory. Without /proc these
functions find nothing and reaping does nothing.
"""

import asyncio
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_PROC = Path("/proc")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_POLL_SECONDS = 0.02
_GRACE_POLLS = 50
_KILL_POLLS = 100


@dataclass(frozen=True, slots=True)
class BrowserProcesses:
    """One launched browser: its process group and the directory that marks it."""

    group: int
    workdir: str

    def live(self) -> list[int]:
        """Every process of the browser that still runs (zombies have finished)."""
        mark = self.workdir.encode()
        found = []
        for pid in _pids():
            stat = _stat(pid)
            if stat is None or stat[0] in ("Z", "X"):
                continue
            if stat[1] == self.group or mark in _command_line(pid):
                found.append(pid)

        return found

    def resident_bytes(self) -> int:
        """The resident memory of the browser's processes, added up."""
        total = 0
        for pid in self.live():
            try:
                pages = int((_PROC / str(pid) / "statm").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
            total += pages * _PAGE_SIZE

        return total

    async def reap(self) -> int:
        """Wait for the browser to exit; kill what outlives the grace; return that."""
        if await self._exited(_GRACE_POLLS):
            return 0
        leftovers = [pid for pid in self.live() if self._ours(pid)]
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
        logger.warning(
            "opentable.browser_leftovers_killed",
            extra={"group": self.group, "processes": len(leftovers)},
        )
        await self._exited(_KILL_POLLS)

        return len(leftovers)

    def _ours(self, pid: int) -> bool:
        """Marked by our directory, or a Chromium: never a recycled group number."""
        if self.workdir.encode() in _command_line(pid):
            return True
        try:
            return "chrom" in os.path.basename(os.readlink(_PROC / str(pid) / "exe"))
        except OSError:
            return False

    async def _exited(self, polls: int) -> bool:
        for _ in range(polls):
            if not self.live():
                return True
            # Exiting takes the kernel a moment; this paces a poll, not a timeout.
            await asyncio.sleep(_POLL_SECONDS)

        return not self.live()


def find_browser(leader_mark: str, workdir: str) -> BrowserProcesses | None:
    """The browser whose main process has `leader_mark` among its arguments."""
    needle = leader_mark.encode()
    for pid in _pids():
        stat = _stat(pid)
        arguments = _command_line(pid).split(b"\0")
        if stat is not None and stat[1] == pid and needle in arguments:
            return BrowserProcesses(pid, workdir)

    return None


def _pids() -> list[int]:
    try:
        return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and process group of a process, or None once it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and ")"; the fields follow the last ")".
    fields = text.rpartition(")")[2].split()

    return fields[0], int(fields[2])


def _command_line(pid: int) -> bytes:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""
