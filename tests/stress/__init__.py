"""The fault and load harness (`make stress`, `python -m tests.stress.run [--quick]`): real gunicorn servers on
loopback against SQLite and a throwaway PostgreSQL, driven over HTTP; every scenario prints what it counted."""
