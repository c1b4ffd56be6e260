"""What the hardware allows here: the same rows through the database driver, no HTTP.

Run as ``python -m bench.baseline`` with a JSON spec on stdin (the harness does
that, in its own process); prints a JSON result on stdout.

* ``insert``: the generator's statements as JSON text into a simple table
  ``(seq, id UNIQUE, stored, data)`` with the same durability settings as the LRS
  (SQLite: WAL, synchronous=NORMAL; PostgreSQL: the server's defaults), one row
  per transaction or batches of 100/1000 per transaction (``executemany``), from
  1..N threads each with its own connection.
* ``query``: the same statements in a table with the filter columns extracted
  and indexed (actor, verb, object, registration, stored order, plus a side table
  of context activities and teams), then a query mix like the LRS one, paged by
  keyset, 1 connection.
* ``state``: a key/value document table, half upserts half reads, 1 connection.
* ``scan``: read every row of the insert table in order and SHA-256 it (what a
  log verification or a projection catch-up does at minimum).
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from bench import generator
from bench.loadgen import draw_query, latency_ms, per_kind
from bench.procstats import backend_cpu


def _ifi_key(agent: dict[str, Any]) -> str:
    ifi = generator._ifi(agent)
    ifi.pop("objectType", None)
    return orjson.dumps(ifi, option=orjson.OPT_SORT_KEYS).decode()


class Db:
    """A thin layer over sqlite3 / psycopg with the LRS's connection settings."""

    def __init__(self, backend: str, target: str) -> None:
        self.backend = backend
        self.target = target  # file path or psycopg URL
        self.p = "?" if backend == "sqlite" else "%s"

    def connect(self) -> Any:
        if self.backend == "sqlite":
            conn = sqlite3.connect(
                self.target, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        import psycopg

        return psycopg.connect(self.target, autocommit=True)

    def begin(self, conn: Any, write: bool = True) -> None:
        if self.backend == "sqlite":
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        else:
            conn.execute("BEGIN")

    def commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def executemany(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self.backend == "sqlite":
            conn.executemany(sql, rows)
        else:
            with conn.cursor() as cur:
                cur.executemany(sql, rows)

    def fetchall(self, conn: Any, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            return conn.execute(sql, params).fetchall()
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def sql(self, text: str) -> str:
        return text.replace("?", self.p)


class Meter:
    """CPU of this process (and of the database's backends) over a measured block."""

    def __init__(self, pg_database: str | None) -> None:
        self.pg_database = pg_database

    def __enter__(self) -> Meter:
        self.db0 = backend_cpu(self.pg_database) if self.pg_database else {}
        self.ru0 = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = (ru1.ru_utime - self.ru0.ru_utime) + (ru1.ru_stime - self.ru0.ru_stime)
        db1 = backend_cpu(self.pg_database) if self.pg_database else {}
        self.db_cpu = (
            sum(db1.values()) - sum(v for k, v in self.db0.items() if k in db1)
            if self.pg_database
            else None
        )


def _summary(
    name: str,
    lats: list[float],
    units: int,
    meter: Meter,
    size: int | None,
    rows_for_size: int,
    **extra: Any,
) -> dict[str, Any]:
    ops = len(lats)
    out: dict[str, Any] = {
        "name": name,
        "elapsed_s": round(meter.elapsed, 4),
        "operations": ops,
        "rows": units,
        "operations_per_s": round(ops / meter.elapsed, 2),
        "rows_per_s": round(units / meter.elapsed, 2),
        "latency_ms": latency_ms(lats),
        "client_cpu_us_per_row": round(meter.cpu / max(units, 1) * 1e6, 1),
        "client_cpu_us_per_op": round(meter.cpu / max(ops, 1) * 1e6, 1),
        "db_cpu_us_per_row": round(meter.db_cpu / max(units, 1) * 1e6, 1)
        if meter.db_cpu is not None
        else None,
        "db_cpu_us_per_op": round(meter.db_cpu / max(ops, 1) * 1e6, 1)
        if meter.db_cpu is not None
        else None,
    }
    # CPU per row the way the LRS figure counts it: in-process for SQLite, and the
    # driver's process plus the database's backends for PostgreSQL.
    out["cpu_us_per_row"] = round(out["client_cpu_us_per_row"] + (out["db_cpu_us_per_row"] or 0), 1)
    out["cpu_us_per_op"] = round(out["client_cpu_us_per_op"] + (out["db_cpu_us_per_op"] or 0), 1)
    if size is not None and rows_for_size:
        out["bytes_per_row"] = round(size / rows_for_size, 1)
    out.update(extra)
    return out


# ---------------------------------------------------------------------------
# insert
# ---------------------------------------------------------------------------

INSERT_DDL = [
    "CREATE TABLE IF NOT EXISTS raw (seq BIGINT PRIMARY KEY, id VARCHAR(36) NOT NULL UNIQUE, "
    "stored VARCHAR(32) NOT NULL, data TEXT NOT NULL)",
]


def _rows(seed: int, learners: int, offset: int, n: int) -> list[tuple[int, str, str, str]]:
    gen = generator.TrafficGenerator(seed, learners)
    it = iter(gen)
    for _ in range(offset):
        next(it)
    out = []
    for i in range(n):
        stmt = next(it)
        out.append((offset + i + 1, stmt["id"], "", orjson.dumps(stmt).decode()))
    return out


def run_insert(
    db: Db, spec: dict[str, Any], size: Callable[[], int] | None, pg_database: str | None
) -> list[dict[str, Any]]:
    conn = db.connect()
    for ddl in INSERT_DDL:
        conn.execute(ddl)
    conn.close()
    results = []
    offset = 0
    for mode in spec["modes"]:
        per_txn = int(mode["rows_per_txn"])
        threads = int(mode.get("threads", 1))
        n_txn = int(mode["transactions"])
        rows = _rows(spec["seed"], spec["learners"], offset, per_txn * n_txn)
        offset += len(rows)
        batches = [rows[i : i + per_txn] for i in range(0, len(rows), per_txn)]
        insert = db.sql("INSERT INTO raw (seq, id, stored, data) VALUES (?, ?, ?, ?)")
        lock = threading.Lock()
        it: Iterator[list[tuple[int, str, str, str]]] = iter(batches)
        lats: list[float] = []
        conns = [db.connect() for _ in range(threads)]
        size0 = size() if size else None

        def work(
            conn: Any,
            it: Iterator[list[tuple[int, str, str, str]]] = it,
            lock: threading.Lock = lock,
            insert: str = insert,
            lats: list[float] = lats,
        ) -> None:
            while True:
                with lock:
                    batch = next(it, None)
                if batch is None:
                    return
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
                params = [(s, i, stamp, d) for s, i, _, d in batch]
                t0 = time.perf_counter()
                db.begin(conn)
                if len(params) == 1:
                    conn.execute(insert, params[0])
                else:
                    db.executemany(conn, insert, params)
                db.commit(conn)
                lats.append(time.perf_counter() - t0)

        with Meter(pg_database) as meter:
            workers = [threading.Thread(target=work, args=(c,)) for c in conns]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        for c in conns:
            c.close()
        grown = size() - size0 if size and size0 is not None else None
        results.append(
            _summary(
                mode["name"],
                lats,
                len(rows),
                meter,
                grown,
                len(rows),
                rows_per_txn=per_txn,
                threads=threads,
            )
        )
    return results


# ---------------------------------------------------------------------------
# query
# ---------------------------------------------------------------------------

QUERY_DDL = [
    "CREATE TABLE IF NOT EXISTS q (seq BIGINT PRIMARY KEY, id VARCHAR(36) NOT NULL UNIQUE, "
    "actor TEXT NOT NULL, verb TEXT NOT NULL, object TEXT NOT NULL, registration VARCHAR(36), "
    "data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS q_rel (key TEXT NOT NULL, seq BIGINT NOT NULL, "
    "PRIMARY KEY (key, seq))",
    "CREATE INDEX IF NOT EXISTS q_actor ON q (actor, seq)",
    "CREATE INDEX IF NOT EXISTS q_actor_verb ON q (actor, verb, seq)",
    "CREATE INDEX IF NOT EXISTS q_verb ON q (verb, seq)",
    "CREATE INDEX IF NOT EXISTS q_object ON q (object, seq)",
    "CREATE INDEX IF NOT EXISTS q_reg ON q (registration, seq)",
]


def load_query_table(db: Db, spec: dict[str, Any]) -> dict[str, Any]:
    gen = generator.TrafficGenerator(spec["seed"], spec["learners"])
    it = iter(gen)
    conn = db.connect()
    for ddl in QUERY_DDL:
        conn.execute(ddl)
    ins = db.sql("INSERT INTO q VALUES (?, ?, ?, ?, ?, ?, ?)")
    rel = db.sql("INSERT INTO q_rel VALUES (?, ?) ON CONFLICT DO NOTHING")
    total = int(spec["statements"])
    seq = 0
    while seq < total:
        rows = []
        rels = []
        for _ in range(min(1000, total - seq)):
            stmt = next(it)
            seq += 1
            obj = stmt["object"]
            ctx = stmt.get("context", {})
            obj_key = (
                obj["id"]
                if obj.get("objectType", "Activity") in ("Activity", "StatementRef")
                else _ifi_key(obj)
            )
            rows.append(
                (
                    seq,
                    stmt["id"],
                    _ifi_key(stmt["actor"]),
                    stmt["verb"]["id"],
                    obj_key,
                    ctx.get("registration"),
                    orjson.dumps(stmt).decode(),
                )
            )
            rels.append(("a:" + obj_key, seq))
            for acts in ctx.get("contextActivities", {}).values():
                for act in acts:
                    rels.append(("a:" + act["id"], seq))
            if "team" in ctx:
                rels.append(("g:" + _ifi_key(ctx["team"]), seq))
        db.begin(conn)
        db.executemany(conn, ins, rows)
        db.executemany(conn, rel, rels)
        db.commit(conn)
    conn.close()
    cat = gen.catalog(500)
    return {
        "learners": [_ifi_key(a) for a in cat.learners],
        "activities": cat.activities,
        "contexts": cat.context_activities or cat.activities,
        "registrations": cat.registrations,
        "verbs": cat.verbs,
        "teams": [_ifi_key(t) for t in cat.teams] or [_ifi_key(a) for a in cat.learners],
        "rows": seq,
    }


def run_query(db: Db, spec: dict[str, Any], pg_database: str | None) -> dict[str, Any]:
    cat = load_query_table(db, spec)
    if db.backend == "postgresql":
        c = db.connect()
        c.execute("ANALYZE")
        c.close()
    rng = random.Random(f"baseline-queries:{spec['seed']}")
    n_rows = cat["rows"]
    max_pages = int(spec.get("max_pages", 4))

    def window() -> tuple[str, list[Any]]:
        lo = rng.randrange(max(1, n_rows))
        return "q.seq > ? AND q.seq <= ?", [lo, lo + max(1, int(n_rows * rng.uniform(0.01, 0.1)))]

    # The filters of the load generator's mix (QUERY_MIX) as SQL: a condition and
    # its parameters. Related activities and teams are keys of the side table.
    condition_of: dict[str, Callable[[], tuple[str, list[Any]]]] = {
        "agent": lambda: ("actor = ?", [rng.choice(cat["learners"])]),
        "verb": lambda: ("verb = ?", [rng.choice(cat["verbs"])]),
        "activity": lambda: ("object = ?", [rng.choice(cat["activities"])]),
        "related_activity": lambda: ("r.key = ?", ["a:" + rng.choice(cat["contexts"])]),
        "registration": lambda: ("registration = ?", [rng.choice(cat["registrations"])]),
        "window": window,
        "team": lambda: ("r.key = ?", ["g:" + rng.choice(cat["teams"])]),
    }
    # Walk the side table in order and probe the statements by key (SQLite's
    # CROSS JOIN fixes the join order; PostgreSQL plans it from statistics).
    rel_join = (
        " CROSS JOIN q ON q.seq = r.seq" if db.backend == "sqlite" else " JOIN q ON q.seq = r.seq"
    )
    conn = db.connect()
    lats: list[float] = []
    by_kind: dict[str, list[float]] = {}
    rows_out = 0
    n_queries = int(spec["queries"])
    deadline = time.perf_counter() + float(spec.get("max_seconds", 30))
    with Meter(pg_database) as meter:
        for _ in range(n_queries):
            kind, filters, limit = draw_query(rng)
            conditions = [condition_of[f]() for f in filters]
            where = " AND ".join(c for c, _ in conditions)
            params = [value for _, values in conditions for value in values]
            join = rel_join if "r.key" in where else ""
            last = None
            table = "q_rel r" if join else "q"
            order = "r.seq" if join else "q.seq"
            for _page in range(max_pages):
                cond = where + ("" if last is None else f" AND {order} < ?")
                args = tuple(params + ([] if last is None else [last]) + [limit + 1])
                sql = db.sql(
                    f"SELECT q.seq, q.data FROM {table}{join} WHERE {cond} "
                    f"ORDER BY {order} DESC LIMIT ?"
                )
                t0 = time.perf_counter()
                rows = db.fetchall(conn, sql, args)
                # Like an LRS page: the rows joined into one JSON document.
                body = b'{"statements":[' + ",".join(r[1] for r in rows[:limit]).encode() + b"]}"
                took = time.perf_counter() - t0
                lats.append(took)
                by_kind.setdefault(kind, []).append(took)
                rows_out += min(len(rows), limit)
                del body
                if len(rows) <= limit:
                    break
                last = rows[limit - 1][0]
            if time.perf_counter() > deadline:
                break
    conn.close()
    return _summary(
        "query_mix",
        lats,
        rows_out,
        meter,
        None,
        0,
        store_rows=n_rows,
        max_pages=max_pages,
        by_kind=per_kind(by_kind),
    )


# ---------------------------------------------------------------------------
# state
# ---------------------------------------------------------------------------


def run_state(db: Db, spec: dict[str, Any], pg_database: str | None) -> dict[str, Any]:
    conn = db.connect()
    conn.execute(
        "CREATE TABLE IF NOT EXISTS docs (k TEXT PRIMARY KEY, content_type TEXT, "
        "etag VARCHAR(64), updated VARCHAR(32), body TEXT)"
    )
    rng = random.Random(f"baseline-state:{spec['seed']}")
    keys = [f"key-{i}" for i in range(int(spec.get("keys", 1000)))]
    upsert = db.sql(
        "INSERT INTO docs VALUES (?, 'application/json', ?, ?, ?) ON CONFLICT (k) "
        "DO UPDATE SET etag = excluded.etag, updated = excluded.updated, "
        "body = excluded.body"
    )
    get = db.sql("SELECT content_type, etag, updated, body FROM docs WHERE k = ?")

    def put(key: str) -> None:
        body = orjson.dumps(generator.state_document(rng, key)).decode()
        db.begin(conn)
        conn.execute(upsert, (key, hashlib.sha1(body.encode()).hexdigest(), "now", body))
        db.commit(conn)

    for key in keys:
        put(key)
    lats: list[float] = []
    with Meter(pg_database) as meter:
        for _ in range(int(spec["requests"])):
            key = rng.choice(keys)
            t0 = time.perf_counter()
            if rng.random() < 0.5:
                put(key)
            else:
                db.fetchall(conn, get, (key,))
            lats.append(time.perf_counter() - t0)
    conn.close()
    return _summary("state_docs", lats, len(lats), meter, None, 0)


# ---------------------------------------------------------------------------
# scan
# ---------------------------------------------------------------------------


def run_scan(db: Db, pg_database: str | None) -> dict[str, Any]:
    conn = db.connect()
    lats: list[float] = []
    n = 0
    with Meter(pg_database) as meter:
        last = 0
        prev = b"\0" * 32
        while True:
            t0 = time.perf_counter()
            rows = db.fetchall(
                conn,
                db.sql(
                    "SELECT seq, id, stored, data FROM raw WHERE seq > ? ORDER BY seq LIMIT 5000"
                ),
                (last,),
            )
            if not rows:
                break
            for seq, sid, stored, data in rows:
                prev = hashlib.sha256(prev + orjson.dumps([seq, sid, stored, data])).digest()
            n += len(rows)
            last = rows[-1][0]
            lats.append(time.perf_counter() - t0)
    conn.close()
    return _summary("scan_hash", lats, n, meter, None, 0)


# ---------------------------------------------------------------------------


def run(spec: dict[str, Any]) -> dict[str, Any]:
    backend = spec["backend"]
    db = Db(backend, spec["target"])
    pg_database = spec.get("pg_database")
    size: Callable[[], int] | None = None
    if backend == "sqlite":
        import os

        def size() -> int:
            return sum(
                os.path.getsize(p)
                for p in (spec["target"], spec["target"] + "-wal")
                if os.path.exists(p)
            )
    elif spec.get("admin"):
        import psycopg

        admin = psycopg.connect(spec["admin"], autocommit=True)

        def size() -> int:
            row = admin.execute("SELECT pg_database_size(%s)", (pg_database,)).fetchone()
            return int(row[0]) if row else 0

    out: dict[str, Any] = {"backend": backend}
    if spec.get("insert"):
        out["insert"] = run_insert(db, {**spec, **spec["insert"]}, size, pg_database)
    if spec.get("scan"):
        out["scan"] = run_scan(db, pg_database)
    if spec.get("query"):
        out["query"] = run_query(db, {**spec, **spec["query"]}, pg_database)
    if spec.get("state"):
        out["state"] = run_state(db, {**spec, **spec["state"]}, pg_database)
    return out


def main() -> int:
    spec = json.load(sys.stdin)
    sys.stdout.write(json.dumps(run(spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
