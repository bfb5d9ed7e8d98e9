"""The payments of a régie over a period, and the invoices of an invoicing run, for the
accounts: CSV (``;``, UTF-8 with BOM, decimal comma, as French spreadsheets open it) and XLSX
(openpyxl; amounts as numbers, dates as dates)."""

import csv
import datetime
import io
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from portal.formats import money_round

from .models import ZERO, Invoice

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


# --- the accounting export of an invoicing run (README « Exports comptables ») -----------------

RUN_HEADER = [
    _("Numéro"),
    _("Débiteur"),
    _("Référence famille"),
    _("Date d’émission"),
    _("Date d’échéance"),
    _("Prélèvement"),
    _("Date de prélèvement"),
    _("État"),
    _("Numéro de l’avoir"),
]
RUN_DATE_COLUMNS = (3, 4, 6)  # 0-based positions of the dates in RUN_HEADER


def run_column_title(activity) -> str:
    """« Restauration scolaire (7067) »; lines without an activity go in « Autres lignes »."""
    if activity is None:
        return str(_("Autres lignes"))
    if activity.accounting_code:
        return f"{activity.name} ({activity.accounting_code})"
    return activity.name


def _run_table(export: dict) -> tuple[list[str], list[list], list]:
    """Header, one row per invoice (dates as dates, amounts as Decimal) and the totals row
    (cancelled invoices are listed with their status but left out of the totals)."""
    keys = [key for key, _activity in export["columns"]]
    header = [str(name) for name in RUN_HEADER]
    header += [run_column_title(activity) for _key, activity in export["columns"]]
    header.append(str(_("Total")))
    rows, sums = [], [ZERO] * (len(keys) + 1)
    cancelled = Invoice.Status.CANCELLED
    for invoice in export["invoices"]:
        amounts = [money_round(invoice.amounts.get(key, ZERO)) for key in keys]
        amounts.append(money_round(invoice.total))
        rows.append(
            [
                invoice.number,
                invoice.payer_name,
                invoice.family.external_ref,
                invoice.issue_date,
                invoice.due_date,
                str(_("Oui")) if invoice.direct_debit_date else str(_("Non")),
                invoice.direct_debit_date or "",
                str(invoice.get_status_display()),
                invoice.credit_note_number,
                *amounts,
            ]
        )
        if invoice.status != cancelled:
            sums = [total + amount for total, amount in zip(sums, amounts, strict=True)]
    totals = [str(_("Total (hors factures annulées)"))] + [""] * (len(RUN_HEADER) - 1) + sums
    return header, rows, totals


def _french(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return _cell(value)


def run_invoices_csv(export: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header, rows, totals = _run_table(export)
    writer.writerow(header)
    for row in [*rows, totals]:
        writer.writerow([_french(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def run_invoices_xlsx(export: dict, *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    header, rows, totals = _run_table(export)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    first_amount = len(RUN_HEADER) + 1
    for row in [*rows, totals]:
        sheet.append(
            [value if isinstance(value, datetime.date | Decimal) else _cell(value) for value in row]
        )
        line = sheet.max_row
        for column in RUN_DATE_COLUMNS:
            sheet.cell(row=line, column=column + 1).number_format = "DD/MM/YYYY"
        for column in range(first_amount, len(header) + 1):
            sheet.cell(row=line, column=column).number_format = "#,##0.00"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    widths = [18, 28, 18, 14, 14, 12, 16, 20, 18] + [18] * (len(header) - len(RUN_HEADER))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
