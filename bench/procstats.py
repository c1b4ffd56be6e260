"""CPU time and memory of the server under test, read from /proc through psutil."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [proc]


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, its live descendants and reaped children."""
    total = 0.0
    for p in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def tree_rss(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def peak_rss(pid: int) -> int | None:
    """VmHWM: the kernel's high-water mark of the process's resident set."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving ``database`` (found by its
    process title), by process id."""
    needle = f" {database} "
    out = {}
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info.get("cmdline") or []
        if cmd and cmd[0].startswith("postgres:") and needle in cmd[0] + " ":
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
    return out


class ProcessProbe:
    def __init__(self, server_pid: int | None, pg_database: str | None = None) -> None:
        self.pid = server_pid
        self.pg_database = pg_database
        self._rss: list[int] = []
        self._db_seen: dict[int, float] = {}

    def _db_cpu(self) -> float | None:
        if not self.pg_database:
            return None
        # Backends that exited keep the last value seen (an undercount at worst).
        self._db_seen.update(backend_cpu(self.pg_database))
        return sum(self._db_seen.values())

    def snapshot(self) -> dict[str, Any]:
        if self.pid is None:
            return {"server_cpu": 0.0, "server_rss": 0, "server_hwm": None, "db_cpu": None}
        return {
            "server_cpu": tree_cpu(self.pid),
            "server_rss": tree_rss(self.pid),
            "server_hwm": peak_rss(self.pid),
            "db_cpu": self._db_cpu(),
        }

    async def sample_rss(self, every: float) -> None:
        """Sample the server tree's RSS; the tree is re-listed every 10 s only, since
        listing children scans every process of the machine (client CPU)."""
        if self.pid is None:
            return
        tree: list[psutil.Process] = []
        listed = 0.0
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if now - listed > 10.0:
                tree = _tree(self.pid)
                listed = now
            total = 0
            for p in tree:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += p.memory_info().rss
            self._rss.append(total)
            await asyncio.sleep(every)

    def take_rss_samples(self) -> list[int]:
        out, self._rss = self._rss, []
        return out
