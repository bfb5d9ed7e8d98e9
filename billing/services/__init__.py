"""State changes of billing: numbering, invoices, payments, régies, the CSV import, reminders,
tax certificates and direct debit (re-exported here)."""

from .certificates import CertificateError, tax_certificates_generate
from .direct_debit import (
    DirectDebitError,
    batch_generate,
    debit_reject,
    mandate_create,
    mandate_revoke,
)
from .invoices import BillingError, LineInput, invoice_cancel, invoice_issue, invoice_status
from .numbering import number_next
from .online import (
    AnswerRefused,
    online_invoices_check,
    online_payment_check,
    transaction_answer,
    transaction_expire,
    transaction_notify,
    transaction_start,
    transactions_check,
)
from .payments import payment_record
from .regies import regie_save
from .reminders import reminders_send

__all__ = [
    "AnswerRefused",
    "BillingError",
    "CertificateError",
    "DirectDebitError",
    "LineInput",
    "batch_generate",
    "debit_reject",
    "invoice_cancel",
    "invoice_issue",
    "invoice_status",
    "mandate_create",
    "mandate_revoke",
    "number_next",
    "online_invoices_check",
    "online_payment_check",
    "payment_record",
    "regie_save",
    "reminders_send",
    "tax_certificates_generate",
    "transaction_answer",
    "transaction_expire",
    "transaction_notify",
    "transaction_start",
    "transactions_check",
]
