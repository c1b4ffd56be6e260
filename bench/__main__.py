"""``python -m bench``: the LRS benchmark harness (see bench/README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.server import DEFAULT_PG_ADMIN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the scenarios against real `lrs serve` processes")
    run.add_argument("--profile", choices=("quick", "full"), default="quick")
    run.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    run.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repeats (medians are reported); default 1 for quick, 3 for full",
    )
    run.add_argument(
        "--check",
        action="store_true",
        help="exit non-zero when any request failed or anything crashed (never because of timings)",
    )
    run.add_argument(
        "--million",
        action="store_true",
        help="full profile: also preload 1,000,000 statements and run the query "
        "mix and `lrs verify` on them (long)",
    )
    run.add_argument(
        "--pg-url",
        default=os.environ.get("LRS_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN),
        help="admin connection used to CREATE/DROP bench_* databases",
    )
    run.add_argument(
        "--only",
        default="",
        help="comma-separated subset: baseline,single,batch,embedded,scaling,state,query,"
        "stored_ingest,commands,million",
    )
    run.add_argument(
        "--stored",
        type=int,
        default=None,
        metavar="N",
        help="statements in the preloaded store (default: the profile's); with "
        "--only commands, times the commands on a store of that size",
    )
    run.add_argument(
        "--keep", action="store_true", help="keep the work directory (SQLite files, server logs)"
    )
    run.add_argument("--no-markdown", action="store_true", help="do not touch bench/RESULTS.md")
    run.add_argument("--results-dir", type=Path, default=None)

    gen = sub.add_parser("generate", help="print generated statements as JSON")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("-n", type=int, default=10)
    gen.add_argument("--learners", type=int, default=None)

    sub.add_parser("clean", help="drop leftover bench_* databases of killed runs")

    args = parser.parse_args(argv)
    if args.command == "generate":
        import orjson

        from bench.generator import DEFAULT_LEARNERS, generate

        stmts = generate(args.seed, args.n, args.learners or DEFAULT_LEARNERS)
        sys.stdout.write(orjson.dumps(stmts, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    if args.command == "clean":
        from bench.server import PostgresServer

        pg = PostgresServer(os.environ.get("LRS_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN))
        rows = pg.conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'"
        ).fetchall()
        for (name,) in rows:
            print(f"dropping {name}")
            pg.drop(name)
        pg.close()
        return 0

    from bench.harness import BENCH_DIR, Options
    from bench.harness import run as run_harness

    repeat = args.repeat or (3 if args.profile == "full" else 1)
    opts = Options(
        profile=args.profile,
        backend=args.backend,
        repeat=max(1, repeat),
        check=args.check,
        million=args.million,
        pg_url=args.pg_url,
        only=[s.strip() for s in args.only.split(",") if s.strip()],
        stored=args.stored,
        keep=args.keep,
        results_dir=args.results_dir or BENCH_DIR / "results",
        markdown=None if args.no_markdown else BENCH_DIR / "RESULTS.md",
    )
    if args.million and args.profile != "full":
        print("--million needs --profile full", file=sys.stderr)
        return 2
    return run_harness(opts)


if __name__ == "__main__":
    sys.exit(main())
