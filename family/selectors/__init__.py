"""Reads of the family app (querysets and read models for pages); they never write.

- ``families``: the families of an account;
- ``dossier``: the dossier's fields, current and pending values, the parents' dossier page;
- ``requests``: change requests as agents read them, the back office's pending count;
- ``creation``: an account's creation request and its values for display.
"""

from .families import families_for_user

__all__ = ["families_for_user"]
