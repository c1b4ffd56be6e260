"""Audit and data lifecycle: verifiable exports, imports, signed checkpoints.

``archive`` defines the export format (JSON Lines, documented in docs/audit.md),
``export`` writes it from a database, ``offline`` verifies it with no database,
``load`` imports it into an empty store, ``checkpoints`` signs chain heads.
"""
