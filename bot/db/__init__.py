"""Persistence: SQLAlchemy 2 models, async sessions and team-scoped repositories."""
