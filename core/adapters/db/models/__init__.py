"""The tables, one module per feature; importing the package registers every table
on `Base.metadata` (Alembic and `create_all` read it)."""

from core.adapters.db.models import (  # noqa: F401  (every table joins Base.metadata)
    accounts,
    ads,
    avatars,
    base,
    copilot,
    editor,
    jobs,
    projects,
    resilience,
    talking,
    variant_factory,
)
