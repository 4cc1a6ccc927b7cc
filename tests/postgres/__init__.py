"""The same API lifecycle and concurrency checks against a real PostgreSQL server (marker `postgres`)."""
