"""Writes of the supporting-documents module: one transaction each, with its timeline event
and its outbox e-mail (or digest decision) in that same transaction."""

from ..files import DocumentError
from .documents import (
    document_accept,
    document_file_remove,
    document_paper_record,
    document_refuse,
    document_upload,
    documents_accept_bulk,
)
from .expiry import documents_expire, documents_remind
from .scans import file_scan, scans_retry
from .types import document_type_create, document_type_update

__all__ = [
    "DocumentError",
    "document_accept",
    "document_file_remove",
    "document_paper_record",
    "document_refuse",
    "document_type_create",
    "document_type_update",
    "document_upload",
    "documents_accept_bulk",
    "documents_expire",
    "documents_remind",
    "file_scan",
    "scans_retry",
]
