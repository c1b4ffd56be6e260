"""The KPI view's reads as they were first written: every fact row of the
programme loaded into Python and folded there (engine.py, queries.py, kept
verbatim but for imports, and two fixes made in both: an activity below a module
belongs to the programme even when the module is not declared below a root, as
the funnel already counted it; a fact that is both application evidence and a
business-metric observation is one observation, not two). The SQL reads of
projections.kpi must answer exactly as these do (tests/unit/test_kpi_sql_oracle.py)."""
