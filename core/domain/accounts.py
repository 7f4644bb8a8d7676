"""Read-only views of accounts, team members, keys, spend and the audit log for pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Role(str, Enum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    display_name: str
    has_password: bool


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a page keeps after a sign-in: the session token (a bearer secret) and who it is."""

    token: str
    user_id: str
    email: str


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: str | None  # None for an invitation not yet claimed
    email: str
    role: Role
    pending: bool = False
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyStatus:
    vendor: str
    label: str
    is_set: bool
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SpendToday:
    """Today's committed spend (ledger plus reserved estimates of running jobs) against a ceiling."""

    committed_usd: float
    ceiling_usd: float  # 0: no ceiling


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    action: str
    actor_email: str
    project_id: str | None
    subject: str
    address: str
    detail: dict = field(default_factory=dict)
