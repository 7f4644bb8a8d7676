"""The database: engine and sessions (SQLite or PostgreSQL), row locks, tables and Alembic
migrations with row-level security on PostgreSQL."""
