"""Benchmark harness: Arrears measured against a bare FastAPI + asyncpg baseline in the same run."""
