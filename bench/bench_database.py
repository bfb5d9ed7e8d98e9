"""The PostgreSQL database of a benchmark: always its own, never the test or dev database.

Imported by the scripts of this folder, which run as ``python bench/<script>.py`` (so this
folder is on ``sys.path``).
"""

import sys
from urllib.parse import urlsplit


def database_name(url: str, *, marker: str) -> str:
    """The database of ``url``, refused unless PostgreSQL and its name contains ``marker``."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("--db must be a PostgreSQL URL (postgres://…).")
    name = parts.path.lstrip("/")
    if marker not in name or name.startswith("test") or not name.replace("_", "").isalnum():
        sys.exit(f"Refusing to use database {name!r}: its name must contain {marker!r}.")
    return name


def database_create(url: str, *, marker: str, keep_existing: bool = False) -> bool:
    """Drop and create the bench database (kept as it is when ``keep_existing`` and it
    exists); True when it was created."""
    import psycopg

    name = database_name(url, marker=marker)
    maintenance = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if keep_existing:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if exists.fetchone():
                return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True
