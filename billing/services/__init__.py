"""State changes of billing: numbering, invoices, payments, régies, the CSV import (re-exported
here)."""

from .invoices import BillingError, LineInput, invoice_cancel, invoice_issue, invoice_status
from .numbering import number_next
from .payments import payment_record
from .regies import regie_save

__all__ = [
    "BillingError",
    "LineInput",
    "invoice_cancel",
    "invoice_issue",
    "invoice_status",
    "number_next",
    "payment_record",
    "regie_save",
]
