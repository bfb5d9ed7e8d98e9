"""The payments of a régie over a period, for its accounts: CSV (``;``, UTF-8 with BOM, decimal
comma, as French spreadsheets open it) and XLSX (openpyxl; amounts as numbers, dates as
dates)."""

import csv
import io

from django.utils.translation import gettext_lazy as _

from portal.formats import money_round

HEADER = [
    _("Numéro"),
    _("Date"),
    _("Type"),
    _("Montant"),
    _("Référence"),
    _("Famille"),
    _("Référence famille"),
    _("Factures réglées"),
    _("Enregistré par"),
    _("Rejet"),
]


def _row(payment) -> list:
    invoices = " ".join(
        f"{allocation.invoice.number} ({allocation.amount})"
        for allocation in payment.allocations.all()
    )
    recorded_by = payment.recorded_by.email if payment.recorded_by else ""
    # A returned direct debit: the payment no longer counts (its date and reason).
    reversal = getattr(payment, "reversal", None)
    rejet = f"{reversal.date:%d/%m/%Y} {reversal.reason}" if reversal is not None else ""
    return [
        payment.number,
        payment.date,
        str(payment.get_kind_display()),
        money_round(payment.amount),
        payment.reference,
        payment.family.name,
        payment.family.external_ref,
        invoices,
        recorded_by,
        rejet,
    ]


def _cell(value) -> str:
    text = str(value)
    # A cell a spreadsheet would read as a formula is written as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def payments_csv(payments) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(name) for name in HEADER])
    for payment in payments:
        row = _row(payment)
        row[1] = row[1].strftime("%d/%m/%Y")
        row[3] = f"{row[3]:.2f}".replace(".", ",")
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def payments_xlsx(payments, *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([str(name) for name in HEADER])
    for payment in payments:
        row = _row(payment)
        sheet.append([row[0], row[1], row[2], row[3], *(_cell(v) for v in row[4:])])
        sheet.cell(row=sheet.max_row, column=2).number_format = "DD/MM/YYYY"
        sheet.cell(row=sheet.max_row, column=4).number_format = "#,##0.00"
    for column, width in zip("ABCDEFGHIJ", (18, 12, 22, 12, 20, 24, 18, 40, 28, 36), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
