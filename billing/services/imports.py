"""Import of invoices from the collectivity's current software (its CSV export).

Format (one row per invoice line; the first line is the header; UTF-8 with or without BOM;
``;`` or ``,`` separated; column names are case- and accent-insensitive):

- ``facture``*: the invoice's number or id in the previous software; the rows that share it
  are the lines of one invoice (they must agree on the family, régie, dates, label and direct
  debit date);
- ``reference_famille`` (the family's external reference, ``Family.external_ref``) or
  ``code_abonne`` (its subscriber code): one of them per row;
- ``regie``*: the two-digit code of one of the collectivity's active régies;
- ``objet``: the invoice's label (« Novembre 2026 »);
- ``date_emission``*, ``date_echeance``*: ``jj/mm/aaaa`` or ``aaaa-mm-jj``;
- ``date_prelevement``: for a family on direct debit, the day the amount will be taken;
- ``enfant_prenom``: the first name of one of the family's children (the line is theirs);
- ``libelle``*: what the line bills (« Restauration scolaire »); ``periode``: its period or days;
- ``quantite``*: a positive number (``3`` or ``1,5``); ``prix_unitaire``*: euros, at most two
  decimals (``4,20``).

Every row is validated before anything is written; one invalid row and nothing is imported.
Each invoice is then issued by ``invoice_issue`` (a new number of the régie, its PDF, its
timeline event, and the family's e-mail when asked), all in one transaction.
"""

import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from family.models import Family
from family.services.imports import (
    FamilyImportError,
    ImportRowError,
    _normalize_header,
    _parse_date,
    _reader,
)
from family.services.subscriptions import subscriber_code_normalize
from portal.errors import DomainError

from ..models import Invoice, Regie
from .invoices import BillingError, LineInput, invoice_issue

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 200
COLUMNS = [
    "facture",
    "reference_famille",
    "code_abonne",
    "regie",
    "objet",
    "date_emission",
    "date_echeance",
    "date_prelevement",
    "enfant_prenom",
    "libelle",
    "periode",
    "quantite",
    "prix_unitaire",
]
REQUIRED = ["facture", "regie", "date_emission", "date_echeance", "libelle", "quantite"]
REQUIRED += ["prix_unitaire"]
# What the lines of one invoice must agree on (column → its name in an error).
SHARED = ["regie", "objet", "date_emission", "date_echeance", "date_prelevement"]
LENGTHS = {"facture": 50, "objet": 200, "libelle": 200, "periode": 200}


class InvoiceImportError(DomainError):
    """The file was refused; ``errors`` lists what is wrong, line by line (1 = header)."""

    def __init__(self, errors: list[ImportRowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:5]))


@dataclass
class ParsedInvoice:
    key: str
    line: int
    family: Family
    regie: Regie
    label: str
    issue_date: datetime.date
    due_date: datetime.date
    direct_debit_date: datetime.date | None
    shared: dict
    lines: list[LineInput] = field(default_factory=list)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _decode(data: bytes) -> str:
    if not data.strip():
        raise InvoiceImportError([ImportRowError(1, _("le fichier est vide."))])
    if len(data) > MAX_FILE_BYTES:
        raise InvoiceImportError(
            [ImportRowError(1, _("le fichier dépasse la taille maximale de 10 Mo."))]
        )
    if b"\x00" in data:
        message = _(
            "ce fichier n’est pas un fichier CSV (texte). Exportez les factures au format CSV "
            "depuis votre logiciel."
        )
        raise InvoiceImportError([ImportRowError(1, message)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = _(
            "le fichier n’est pas encodé en UTF-8. Enregistrez-le au format « CSV UTF-8 » puis "
            "importez-le à nouveau."
        )
        raise InvoiceImportError([ImportRowError(1, message)]) from None


def _decimal(raw: str) -> Decimal | None:
    text = raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class _Lookups:
    """The collectivity's families (by reference and by code), children and régies, read once
    for the whole file."""

    def __init__(self, collectivity, rows: list[dict]):
        refs = {row.get("reference_famille") for row in rows} - {"", None}
        codes = {subscriber_code_normalize(row.get("code_abonne", "")) for row in rows} - {""}
        families = list(
            Family.objects.filter(collectivity=collectivity)
            .filter(Q(external_ref__in=refs) | Q(subscriber_code__in=codes))
            .prefetch_related("children", "guardians")
            .select_related("collectivity")
        )
        self.by_ref = {family.external_ref: family for family in families if family.external_ref}
        self.by_code = {f.subscriber_code: f for f in families if f.subscriber_code}
        self.regies = {
            regie.code: regie
            for regie in Regie.objects.filter(collectivity=collectivity, is_active=True)
        }


def _row_values(validator_errors, line: int, values: dict, lookups: _Lookups):
    """Check one row; return (family, regie, dates, line input) or None with its errors."""
    errors_before = len(validator_errors)

    def error(message):
        validator_errors.append(ImportRowError(line, message))

    for name in REQUIRED:
        if not values.get(name):
            error(_("colonne %(column)s vide.") % {"column": name})
    for name, limit in LENGTHS.items():
        if len(values.get(name, "")) > limit:
            error(
                _("%(column)s trop long (%(limit)s caractères au plus).")
                % {"column": name, "limit": limit}
            )
    family = None
    ref, code = values.get("reference_famille", ""), values.get("code_abonne", "")
    if ref:
        family = lookups.by_ref.get(ref)
        if family is None:
            error(_("aucune famille de référence « %(ref)s ».") % {"ref": ref})
    elif code:
        family = lookups.by_code.get(subscriber_code_normalize(code))
        if family is None:
            error(_("aucune famille de code abonné « %(code)s ».") % {"code": code})
    else:
        error(_("indiquez la famille : colonne reference_famille ou code_abonne."))
    if family is not None and not list(family.guardians.all()):
        error(_("la famille %(name)s n’a pas de responsable payeur.") % {"name": family.name})
    regie = None
    if values.get("regie"):
        regie = lookups.regies.get(values["regie"].zfill(2))
        if regie is None:
            error(_("aucune régie active de code « %(code)s ».") % {"code": values["regie"]})
    dates = {}
    for name, label in (
        ("date_emission", _("date d’émission")),
        ("date_echeance", _("date d’échéance")),
        ("date_prelevement", _("date de prélèvement")),
    ):
        raw = values.get(name, "")
        dates[name] = _parse_date(raw) if raw else None
        if raw and dates[name] is None:
            error(
                _("%(label)s « %(value)s » invalide (jj/mm/aaaa ou aaaa-mm-jj).")
                % {"label": label, "value": raw}
            )
    start, end = dates["date_emission"], dates["date_echeance"]
    if start and end and end < start:
        error(_("la date d’échéance précède la date d’émission."))
    quantity = _decimal(values.get("quantite", "")) if values.get("quantite") else None
    if values.get("quantite") and (quantity is None or quantity <= 0):
        error(
            _("quantité « %(value)s » invalide (un nombre positif).")
            % {"value": values["quantite"]}
        )
    elif quantity is not None and quantity != quantity.quantize(Decimal("0.01")):
        error(_("quantité « %(value)s » : deux décimales au plus.") % {"value": values["quantite"]})
    price = _decimal(values.get("prix_unitaire", "")) if values.get("prix_unitaire") else None
    if values.get("prix_unitaire") and (
        price is None or price < 0 or price != price.quantize(Decimal("0.01"))
    ):
        error(
            _("prix unitaire « %(value)s » invalide (en euros, deux décimales au plus).")
            % {"value": values["prix_unitaire"]}
        )
    child = None
    first_name = values.get("enfant_prenom", "")
    if first_name and family is not None:
        matches = [c for c in family.children.all() if _fold(c.first_name) == _fold(first_name)]
        if len(matches) != 1:
            error(
                _("la famille %(family)s n’a pas un enfant et un seul prénommé « %(name)s ».")
                % {"family": family.name, "name": first_name}
            )
        else:
            child = matches[0]
    if len(validator_errors) > errors_before:
        return None
    return (
        family,
        regie,
        dates,
        LineInput(
            label=values["libelle"],
            quantity=quantity,
            unit_price=price,
            child=child,
            period=values.get("periode", ""),
        ),
    )


def _header(reader) -> list[str]:
    try:
        raw_header = next(reader)
    except StopIteration:
        raise InvoiceImportError([ImportRowError(1, _("le fichier est vide."))]) from None
    header = [_normalize_header(name) for name in raw_header]
    errors = []
    unknown = [raw for raw, name in zip(raw_header, header, strict=True) if name not in COLUMNS]
    if unknown:
        errors.append(
            ImportRowError(
                1,
                _("colonne(s) inconnue(s) : %(columns)s. Utilisez le modèle de fichier.")
                % {"columns": ", ".join(unknown)},
            )
        )
    missing = [name for name in REQUIRED if name not in header]
    if "reference_famille" not in header and "code_abonne" not in header:
        missing.append("reference_famille / code_abonne")
    if missing:
        errors.append(
            ImportRowError(
                1,
                _("colonne(s) obligatoire(s) absente(s) : %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    if errors:
        raise InvoiceImportError(errors)
    return header


def _rows(data: bytes) -> list[tuple[int, dict]]:
    try:
        reader = _reader(_decode(data))
    except FamilyImportError as error:
        raise InvoiceImportError(error.errors) from None
    header = _header(reader)
    rows, errors = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= MAX_ROWS:
                message = _("trop de lignes : %(max)s au plus par fichier.") % {"max": MAX_ROWS}
                errors.append(ImportRowError(reader.line_num, message))
                break
            if len(row) != len(header):
                errors.append(
                    ImportRowError(
                        reader.line_num,
                        _("%(found)s colonnes au lieu de %(expected)s.")
                        % {"found": len(row), "expected": len(header)},
                    )
                )
                continue
            rows.append((reader.line_num, {n: c.strip() for n, c in zip(header, row, strict=True)}))
    except Exception as error:  # noqa: BLE001 - csv.Error: a broken quote, a NUL
        errors.append(
            ImportRowError(reader.line_num, _("ligne illisible (%(error)s).") % {"error": error})
        )
    if errors:
        raise InvoiceImportError(errors)
    if not rows:
        raise InvoiceImportError([ImportRowError(1, _("le fichier ne contient aucune ligne."))])
    return rows


def invoices_import_parse(*, collectivity, data: bytes) -> list[ParsedInvoice]:
    """Validate the whole file; raise ``InvoiceImportError`` listing every error."""
    rows = _rows(data)
    lookups = _Lookups(collectivity, [values for _line, values in rows])
    invoices: dict[str, ParsedInvoice] = {}
    errors: list[ImportRowError] = []
    for line, values in rows:
        checked = _row_values(errors, line, values, lookups)
        if checked is None:
            continue
        family, regie, dates, line_input = checked
        key = values["facture"]
        shared = {name: values.get(name, "") for name in SHARED}
        invoice = invoices.get(key)
        if invoice is None:
            invoices[key] = ParsedInvoice(
                key=key,
                line=line,
                family=family,
                regie=regie,
                label=values.get("objet", ""),
                issue_date=dates["date_emission"],
                due_date=dates["date_echeance"],
                direct_debit_date=dates["date_prelevement"],
                shared=shared,
                lines=[line_input],
            )
            continue
        differs = [name for name in SHARED if shared[name] != invoice.shared[name]]
        if family.pk != invoice.family.pk:
            differs.insert(0, _("la famille"))
        if differs:
            errors.append(
                ImportRowError(
                    line,
                    _(
                        "la facture « %(key)s » commence ligne %(first)s avec d’autres "
                        "valeurs : %(columns)s."
                    )
                    % {"key": key, "first": invoice.line, "columns": ", ".join(differs)},
                )
            )
            continue
        invoice.lines.append(line_input)
    errors += _already_imported(invoices)
    if errors:
        raise InvoiceImportError(errors)
    return list(invoices.values())


def _already_imported(invoices: dict) -> list[ImportRowError]:
    """The invoices of the file that an earlier import already brought (one query)."""
    if not invoices:
        return []
    known = {
        (regie_id, source_ref): number
        for regie_id, source_ref, number in Invoice.objects.filter(
            regie__in={parsed.regie for parsed in invoices.values()},
            source_ref__in=list(invoices),
        ).values_list("regie_id", "source_ref", "number")
    }
    return [
        ImportRowError(
            parsed.line,
            _("la facture « %(key)s » a déjà été importée (facture %(number)s).")
            % {"key": key, "number": known[(parsed.regie.pk, key)]},
        )
        for key, parsed in invoices.items()
        if (parsed.regie.pk, key) in known
    ]


@dataclass
class ImportResult:
    invoices: list
    total: Decimal


@transaction.atomic
def invoices_import_csv(*, collectivity, data: bytes, by=None, notify=False) -> ImportResult:
    """Validate, then issue every invoice of the file (all or nothing)."""
    parsed = invoices_import_parse(collectivity=collectivity, data=data)
    issued = []
    for invoice in parsed:
        try:
            issued.append(
                invoice_issue(
                    regie=invoice.regie,
                    family=invoice.family,
                    lines=invoice.lines,
                    issue_date=invoice.issue_date,
                    due_date=invoice.due_date,
                    label=invoice.label,
                    direct_debit_date=invoice.direct_debit_date,
                    by=by,
                    notify=notify,
                    source_ref=invoice.key,
                )
            )
        except BillingError as error:
            raise InvoiceImportError([ImportRowError(invoice.line, error.message)]) from None
    return ImportResult(invoices=issued, total=sum((i.total for i in issued), Decimal("0.00")))


def invoices_import_template() -> str:
    """The model file served from the import page: two invoices, one of two lines."""
    import csv
    import io

    header = [c for c in COLUMNS if c != "code_abonne"]
    rows = [
        ["2026-11-0001", "F-0001", "01", "Novembre 2026", "01/12/2026", "31/12/2026", ""]
        + ["Léa", "Restauration scolaire", "novembre 2026", "14", "4,20"],
        ["2026-11-0001", "F-0001", "01", "Novembre 2026", "01/12/2026", "31/12/2026", ""]
        + ["Tom", "Accueil périscolaire soir", "novembre 2026", "8", "2,50"],
        ["2026-11-0002", "F-0002", "01", "Novembre 2026", "2026-12-01", "2026-12-31"]
        + ["2026-12-10", "Inès", "Restauration scolaire", "novembre 2026", "12", "4,20"],
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
