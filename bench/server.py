"""Databases and ``lrs serve`` processes for the benchmark, started and stopped by id."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.procstats import peak_rss, tree_cpu

KEY = "bench-key"
SECRET = "bench-secret-0123456789"
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SERVER_ENV = {"LRS_BOOTSTRAP_KEY": KEY, "LRS_BOOTSTRAP_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}


def lrs_command() -> list[str]:
    """The ``lrs`` console script beside this interpreter, else ``python -m cli``."""
    script = Path(sys.executable).with_name("lrs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def lrs_env(db: Database, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an ``lrs`` process on ``db``."""
    env = dict(os.environ)
    env.update({"LRS_DATABASE_URL": db.url, "LRS_LOG_LEVEL": "warning", **(extra or {})})
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


class Database:
    backend: str
    url: str
    name: str

    def size_bytes(self) -> int:
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    @property
    def pg_database(self) -> str | None:
        return None

    def count_events(self) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
        finally:
            engine.dispose()


@dataclass
class SqliteDatabase(Database):
    path: Path
    backend: str = "sqlite"

    @property
    def url(self) -> str:  # type: ignore[override]
        return f"sqlite:///{self.path.resolve()}"

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.path.name

    def files(self) -> list[Path]:
        return [
            p for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")) if p.exists()
        ]

    def wal_bytes(self) -> int:
        wal = Path(f"{self.path}-wal")
        return wal.stat().st_size if wal.exists() else 0

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the write-ahead log into the database file (safe beside a live server)."""
        import sqlite3

        if not self.path.exists():
            return
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        except sqlite3.OperationalError:
            pass
        finally:
            conn.close()

    def size_bytes(self) -> int:
        """The database file once the WAL is checkpointed into it (the WAL is not data)."""
        self.checkpoint("TRUNCATE")
        return self.path.stat().st_size if self.path.exists() else 0

    def copy_to(self, path: Path) -> SqliteDatabase:
        for src in self.files():
            if src.name.endswith("-shm"):
                continue
            shutil.copyfile(src, str(path) + src.name[len(self.path.name) :])
        return SqliteDatabase(path)

    def drop(self) -> None:
        for p in self.files():
            with contextlib.suppress(OSError):
                p.unlink()


class PostgresServer:
    """Creates and drops ``bench_*`` databases through an admin connection."""

    def __init__(self, admin_url: str = DEFAULT_PG_ADMIN) -> None:
        import psycopg

        self.admin_url = admin_url.replace("postgresql+psycopg://", "postgresql://")
        self.conn = psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5)
        self.created: list[str] = []

    def version(self) -> str:
        row = self.conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def settings(self) -> dict[str, str]:
        out = {}
        for name in (
            "shared_buffers",
            "synchronous_commit",
            "fsync",
            "wal_level",
            "max_connections",
        ):
            row = self.conn.execute(f"SHOW {name}").fetchone()
            out[name] = str(row[0]) if row else "?"
        return out

    def url_for(self, name: str, driver: str = "postgresql+psycopg") -> str:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.admin_url)
        return urlunsplit((driver, parts.netloc, f"/{name}", parts.query, ""))

    def create(self, name: str, template: str | None = None) -> PostgresDatabase:
        assert name.startswith("bench_"), name
        self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            self._create_from_template(name, template)
        else:
            self.conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return PostgresDatabase(self, name)

    def _create_from_template(self, name: str, template: str) -> None:
        """CREATE DATABASE ... TEMPLATE, waiting out autovacuum on the template."""
        import psycopg

        assert template.startswith("bench_"), template
        for attempt in range(40):
            try:
                self.conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt >= 20:
                    # Only autovacuum workers can be left on a bench_* template here.
                    self.conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (template,),
                    )
                time.sleep(0.5)
        self.conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def size(self, name: str) -> int:
        row = self.conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
        return int(row[0]) if row else 0

    def drop(self, name: str) -> None:
        assert name.startswith("bench_"), name
        self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in list(self.created):
            with contextlib.suppress(Exception):
                self.drop(name)
        self.conn.close()


@dataclass
class PostgresDatabase(Database):
    server: PostgresServer
    db_name: str
    backend: str = "postgresql"

    @property
    def url(self) -> str:  # type: ignore[override]
        return self.server.url_for(self.db_name)

    @property
    def driver_url(self) -> str:
        return self.server.url_for(self.db_name, "postgresql")

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.db_name

    @property
    def pg_database(self) -> str | None:
        return self.db_name

    def size_bytes(self) -> int:
        return self.server.size(self.db_name)

    def drop(self) -> None:
        self.server.drop(self.db_name)


def postgres_reachable(admin_url: str) -> tuple[PostgresServer | None, str]:
    try:
        return PostgresServer(admin_url), ""
    except ImportError:
        return None, "psycopg is not installed (pip install 'psycopg[binary]')"
    except Exception as exc:
        return None, f"PostgreSQL not reachable at {admin_url}: {str(exc).splitlines()[0]}"


# ---------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------


class ServerError(RuntimeError):
    pass


@dataclass
class Server:
    db: Database
    workdir: Path
    tag: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started_at: float = 0.0
    startup_s: float = 0.0
    final: dict[str, Any] = field(default_factory=dict)

    def start(self, timeout: float = 90.0) -> Server:
        self.port = free_port()
        self.log_path = self.workdir / f"server-{self.tag}.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [*lrs_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=lrs_env(self.db, {**SERVER_ENV, **self.extra_env}),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"lrs serve exited with {self.proc.returncode} during startup:\n"
                    + self.log_tail()
                )
            try:
                req = urllib.request.Request(f"{self.base}/xapi/about", headers=VERSION_HEADER)
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        self.startup_s = time.perf_counter() - self.started_at
                        return self
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.1)
        self.stop()
        raise ServerError(
            f"lrs serve did not answer /xapi/about in {timeout}s ({last}):\n" + self.log_tail()
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> dict[str, Any]:
        """SIGTERM (then SIGKILL) the server and what it started; returns its totals."""
        if self.proc is None:
            return self.final
        pid = self.proc.pid
        info: dict[str, Any] = {"crashed": self.proc.poll() is not None}
        if info["crashed"]:
            info["returncode"] = self.proc.returncode
        children: list[psutil.Process] = []
        with contextlib.suppress(psutil.NoSuchProcess):
            parent = psutil.Process(pid)
            children = parent.children(recursive=True)
            info["cpu_s"] = round(tree_cpu(pid), 3)
            hwm = peak_rss(pid)
            info["peak_rss_mb"] = round(hwm / 2**20, 1) if hwm else None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self.proc.wait(10)
                info["killed"] = True
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.is_running():
                    child.kill()
        info["returncode"] = self.proc.returncode
        self.proc = None
        self.final = info
        return info

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def run_lrs(
    db: Database, args: list[str], workdir: Path, tag: str, timeout: float = 3600
) -> dict[str, Any]:
    """Run ``lrs ARGS`` against ``db`` and measure it (wall, CPU, peak RSS of the
    process and what it waited for); ``output`` is its stdout and stderr."""
    log_path = workdir / f"cmd-{tag}.log"
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*lrs_command(), *args],
            env=lrs_env(db),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    rusage = None
    status = 0
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            _, status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return {
        "args": args,
        "returncode": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(rusage.ru_utime + rusage.ru_stime, 3) if rusage else None,
        "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1) if rusage else None,
        "output": log_path.read_text(errors="replace"),
    }
