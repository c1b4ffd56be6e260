"""Pure xAPI rules: no FastAPI, no SQLAlchemy (a test walks the imports)."""
