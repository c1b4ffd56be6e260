"""The HTTP edge: FastAPI routers, xAPI headers, authentication, error mapping."""
