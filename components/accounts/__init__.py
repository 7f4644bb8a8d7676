"""Widgets of accounts and connections: sign-in, own keys, test connection."""
