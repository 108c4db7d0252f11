"""Alembic migrations for the gateway's tables; run them with storage.migrate."""
