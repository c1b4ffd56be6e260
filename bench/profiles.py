"""Sizes of each profile. ``quick`` is a CI smoke test (< 2 min for both backends);
``full`` gives the figures that the targets are judged on."""

from __future__ import annotations

from typing import Any

SEED = 20240607

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "learners": 500,
        # Scenario 1: one statement per request.
        "single": {
            "concurrencies": [1, 8, 16, 32],
            "warmup": 40,
            "requests": {1: 250, 8: 500, 16: 700, 32: 500},
            "max_seconds": 6,
            # One fresh database for the four phases (a few thousand statements).
            "fresh_per_phase": False,
        },
        # Scenario 2: batches.
        "batch100": {"concurrency": 4, "warmup": 4, "requests": 40, "max_seconds": 8},
        "batch1000": {"concurrency": 1, "warmup": 1, "requests": 5, "max_seconds": 8},
        # Scenario 3 and "with N stored": a store preloaded over HTTP.
        "stored": {"statements": 10_000, "batch": 1000, "concurrency": 2},
        "stored_ingest": {"single": {"concurrency": 16, "warmup": 40, "requests": 700},
                          "batch100": {"concurrency": 4, "warmup": 4, "requests": 40},
                          "max_seconds": 6},
        "query": {"concurrency": 8, "warmup": 30, "queries": 250, "max_pages": 4,
                  "max_seconds": 6},
        "million": None,
        # Scenario 4.
        "state": {"concurrency": 16, "keys": 300, "requests": 1200, "max_seconds": 6},
        # Scenario 5 and 6 run on the preloaded store.
        "commands": True,
        # The direct-driver baseline.
        "baseline": {
            "insert": [
                {"name": "single_c1", "rows_per_txn": 1, "transactions": 1000},
                {"name": "single_c16", "rows_per_txn": 1, "threads": 16, "transactions": 1000},
                {"name": "batch100_c4", "rows_per_txn": 100, "threads": 4, "transactions": 40},
                {"name": "batch1000_c1", "rows_per_txn": 1000, "transactions": 5},
            ],
            "query": {"statements": 10_000, "queries": 300, "max_seconds": 5},
            "state": {"keys": 300, "requests": 1000},
        },
    },
    "full": {
        "learners": 2000,
        "single": {
            "concurrencies": [1, 8, 16, 32],
            "warmup": 300,
            "requests": {1: 5_000, 8: 15_000, 16: 20_000, 32: 15_000},
            "max_seconds": 60,
            "fresh_per_phase": True,
        },
        "batch100": {"concurrency": 4, "warmup": 20, "requests": 500, "max_seconds": 60},
        "batch1000": {"concurrency": 1, "warmup": 2, "requests": 50, "max_seconds": 60},
        "stored": {"statements": 100_000, "batch": 1000, "concurrency": 2},
        "stored_ingest": {"single": {"concurrency": 16, "warmup": 300, "requests": 20_000},
                          "batch100": {"concurrency": 4, "warmup": 20, "requests": 500},
                          "max_seconds": 60},
        "query": {"concurrency": 8, "warmup": 200, "queries": 6_000, "max_pages": 4,
                  "max_seconds": 45},
        # Only with --million.
        "million": {"statements": 1_000_000, "batch": 1000, "concurrency": 2, "learners": 10_000},
        "state": {"concurrency": 16, "keys": 2000, "requests": 20_000, "max_seconds": 60},
        "commands": True,
        "baseline": {
            "insert": [
                {"name": "single_c1", "rows_per_txn": 1, "transactions": 20_000},
                {"name": "single_c16", "rows_per_txn": 1, "threads": 16, "transactions": 20_000},
                {"name": "batch100_c4", "rows_per_txn": 100, "threads": 4, "transactions": 500},
                {"name": "batch1000_c1", "rows_per_txn": 1000, "transactions": 50},
            ],
            "query": {"statements": 100_000, "queries": 5000, "max_seconds": 30},
            "state": {"keys": 2000, "requests": 20_000},
        },
    },
}
