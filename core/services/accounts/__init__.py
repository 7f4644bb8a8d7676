"""Accounts and teams: sign-in and sessions, password throttling, team members and rights,
the audit log, who is acting, and per-field drafts."""
