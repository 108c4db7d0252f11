"""SQL storage behind the ledger, cache and reservation ports (SQLAlchemy Core)."""
