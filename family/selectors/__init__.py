"""Reads of the family app (querysets and read models for pages); they never write.

- ``families``: the families of an account, the agents' family page and accounts list, the
  families a letter prints;
- ``dossier``: the dossier's fields, current and pending values, the parents' dossier page;
- ``requests``: change requests as agents read them, the back office's pending count;
- ``creation``: an account's creation request and its values for display.
"""

from .creation import creation_latest_request, creation_open_request, summary_context
from .dossier import current_values, dossier_page, pending_changes
from .families import (
    families_for_user,
    family_detail_page,
    letters_families,
    subscribed_accounts,
    subscription_totals,
)
from .requests import describe_requests, health_children, pending_counts

__all__ = [
    "creation_latest_request",
    "creation_open_request",
    "current_values",
    "describe_requests",
    "dossier_page",
    "families_for_user",
    "family_detail_page",
    "health_children",
    "letters_families",
    "pending_changes",
    "pending_counts",
    "subscribed_accounts",
    "subscription_totals",
    "summary_context",
]
