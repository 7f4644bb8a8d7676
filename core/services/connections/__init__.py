"""Connections to providers: users' own sealed keys and what Settings shows per capability."""
