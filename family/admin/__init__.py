"""Agents' back office of the family app: its views and their URLs (``family.admin.urls``,
mounted under /admin/familles/ by ``family.wagtail_hooks``)."""
