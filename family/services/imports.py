"""Import of the families a collectivity already knows, from its current software's CSV export.

Format (one row per family; the first line is the header; UTF-8 with or without BOM; ``;`` or
``,`` separated; column names are case- and accent-insensitive):

- ``reference_externe`` (optional): the family's id in the previous software, unique in the
  collectivity;
- ``nom_famille`` (optional): the family's name, by default guardian 1's last name;
- guardian 1 (the payer): ``resp1_civilite`` (Mme/M.), ``resp1_nom``*, ``resp1_prenom``*,
  ``resp1_date_naissance``, ``resp1_email``, ``resp1_telephone``, ``resp1_adresse``*,
  ``resp1_code_postal``*, ``resp1_commune``*;
- guardian 2 (optional): the same columns with ``resp2_`` (name and first name required when
  any ``resp2_`` column is filled);
- children, as many as the header has: ``enfant1_nom``*, ``enfant1_prenom``*,
  ``enfant1_date_naissance``*, ``enfant1_sexe`` (F/M), ``enfant1_ecole``, ``enfant1_classe``,
  then ``enfant2_…``, ``enfant3_…`` (required only when any column of that child is filled).

Dates are ``jj/mm/aaaa`` or ``aaaa-mm-jj``. Every row is validated before anything is written;
one invalid row and nothing is imported.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.models import Collectivity

from ..models import Child, Family, Guardian
from .events import family_event
from .subscriptions import family_code_regenerate

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 200

PERSON_FIELDS = [
    "civilite",
    "nom",
    "prenom",
    "date_naissance",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "commune",
]
CHILD_FIELDS = ["nom", "prenom", "date_naissance", "sexe", "ecole", "classe"]
FAMILY_FIELDS = ["reference_externe", "nom_famille"]
GUARDIAN1_REQUIRED = ["nom", "prenom", "adresse", "code_postal", "commune"]
GUARDIAN2_REQUIRED = ["nom", "prenom"]
CHILD_REQUIRED = ["nom", "prenom", "date_naissance"]

CIVILITIES = {
    "mme": "mme",
    "madame": "mme",
    "mlle": "mme",
    "m": "m",
    "mr": "m",
    "monsieur": "m",
}
POSTAL_CODE_RE = re.compile(r"^[0-9]{5}$", re.ASCII)  # as portal.validators
PHONE_RE = re.compile(r"^\+?[\d\s.\-()]{6,20}$")
CHILD_COLUMN_RE = re.compile(r"^enfant(\d+)_(\w+)$")


@dataclass
class ImportRowError:
    line: int
    message: str

    def __str__(self):
        return _("Ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}


class FamilyImportError(DomainError):
    """The file was refused; ``errors`` lists what is wrong, line by line (1 = header), and
    ``.message`` the first five of them."""

    def __init__(self, errors: list[ImportRowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:5]))


@dataclass
class ParsedFamily:
    line: int
    name: str
    external_ref: str
    guardians: list[dict] = field(default_factory=list)
    children: list[dict] = field(default_factory=list)


@dataclass
class ImportResult:
    families: list[Family]
    children_count: int


def _normalize_header(name: str) -> str:
    name = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff").lower())
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", name)


def _known_columns(header: list[str]) -> tuple[set[str], list[int]]:
    """The columns this format knows, and the child numbers found in the header."""
    known = set(FAMILY_FIELDS)
    for prefix in ("resp1_", "resp2_"):
        known.update(prefix + name for name in PERSON_FIELDS)
    child_numbers = sorted(
        {int(match.group(1)) for name in header if (match := CHILD_COLUMN_RE.match(name))}
    )
    for number in child_numbers:
        known.update(f"enfant{number}_{name}" for name in CHILD_FIELDS)
    return known, child_numbers


def _parse_date(value: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _decode(data: bytes) -> str:
    if not data.strip():
        raise FamilyImportError([ImportRowError(1, _("le fichier est vide."))])
    if len(data) > MAX_FILE_BYTES:
        raise FamilyImportError(
            [ImportRowError(1, _("le fichier dépasse la taille maximale de 10 Mo."))]
        )
    if b"\x00" in data:
        raise FamilyImportError(
            [
                ImportRowError(
                    1,
                    _(
                        "ce fichier n’est pas un fichier CSV (texte). Exportez les familles "
                        "au format CSV depuis votre logiciel."
                    ),
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FamilyImportError(
            [
                ImportRowError(
                    1,
                    _(
                        "le fichier n’est pas encodé en UTF-8. Enregistrez-le au format "
                        "« CSV UTF-8 » puis importez-le à nouveau."
                    ),
                )
            ]
        ) from None


def _reader(text: str):
    sample = text[:16384]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,")
        delimiter = dialect.delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        if ";" in first_line:
            delimiter = ";"
        elif "," in first_line:
            delimiter = ","
        else:
            raise FamilyImportError(
                [
                    ImportRowError(
                        1,
                        _(
                            "séparateur introuvable : les colonnes doivent être séparées par "
                            "des points-virgules (;) ou des virgules (,)."
                        ),
                    )
                ]
            ) from None
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')


class _RowValidator:
    def __init__(self, *, line: int, values: dict, errors: list[ImportRowError]):
        self.line = line
        self.values = values
        self.errors = errors
        self.today = timezone.localdate()

    def error(self, message: str) -> None:
        self.errors.append(ImportRowError(self.line, message))

    def person(self, prefix: str, label: str, required: list[str]) -> dict:
        get = self.values.get
        names = {
            "nom": _("nom"),
            "prenom": _("prénom"),
            "adresse": _("adresse"),
            "code_postal": _("code postal"),
            "commune": _("commune"),
            "date_naissance": _("date de naissance"),
        }
        for name in required:
            if not get(prefix + name):
                self.error(
                    _("%(field)s du %(who)s manquant (colonne %(column)s).")
                    % {"field": names[name].capitalize(), "who": label, "column": prefix + name}
                )
        civility = ""
        raw_civility = get(prefix + "civilite", "")
        if raw_civility:
            civility = CIVILITIES.get(raw_civility.lower().rstrip("."))
            if civility is None:
                civility = ""
                self.error(
                    _("civilité « %(value)s » inconnue pour le %(who)s (Mme ou M.).")
                    % {"value": raw_civility, "who": label}
                )
        birth_date = self.date(prefix + "date_naissance", label)
        email = get(prefix + "email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(
                    _("adresse e-mail « %(value)s » invalide pour le %(who)s.")
                    % {"value": email, "who": label}
                )
        phone = get(prefix + "telephone", "")
        if phone and not PHONE_RE.match(phone):
            self.error(
                _("numéro de téléphone « %(value)s » invalide pour le %(who)s.")
                % {"value": phone, "who": label}
            )
        postal_code = get(prefix + "code_postal", "")
        if postal_code and not POSTAL_CODE_RE.match(postal_code):
            self.error(
                _("code postal « %(value)s » invalide pour le %(who)s (5 chiffres).")
                % {"value": postal_code, "who": label}
            )
        return {
            "civility": civility,
            "last_name": get(prefix + "nom", ""),
            "first_name": get(prefix + "prenom", ""),
            "birth_date": birth_date,
            "email": email.lower(),
            "phone_mobile": phone,
            "address": get(prefix + "adresse", ""),
            "postal_code": postal_code,
            "city": get(prefix + "commune", ""),
        }

    def child(self, number: int) -> dict:
        prefix = f"enfant{number}_"
        label = _("enfant %(number)s") % {"number": number}
        get = self.values.get
        names = {"nom": _("nom"), "prenom": _("prénom"), "date_naissance": _("date de naissance")}
        for name in CHILD_REQUIRED:
            if not get(prefix + name):
                self.error(
                    _("%(field)s de l’%(who)s manquant (colonne %(column)s).")
                    % {"field": names[name].capitalize(), "who": label, "column": prefix + name}
                )
        birth_date = self.date(prefix + "date_naissance", label, article="de l'")
        sex = get(prefix + "sexe", "").upper()
        if sex and sex not in {"F", "M"}:
            self.error(
                _("sexe « %(value)s » invalide pour l’%(who)s (F ou M).")
                % {"value": get(prefix + "sexe"), "who": label}
            )
            sex = ""
        return {
            "last_name": get(prefix + "nom", ""),
            "first_name": get(prefix + "prenom", ""),
            "birth_date": birth_date,
            "sex": sex,
            "school": get(prefix + "ecole", ""),
            "school_class": get(prefix + "classe", ""),
        }

    def date(self, column: str, label: str, article: str = "du ") -> date | None:
        raw = self.values.get(column, "")
        if not raw:
            return None
        parsed = _parse_date(raw)
        if parsed is None:
            self.error(
                _(
                    "date de naissance « %(value)s » invalide %(article)s%(who)s "
                    "(jj/mm/aaaa ou aaaa-mm-jj)."
                )
                % {"value": raw, "article": article, "who": label}
            )
            return None
        if parsed > self.today:
            self.error(
                _("date de naissance « %(value)s » dans le futur %(article)s%(who)s.")
                % {"value": raw, "article": article, "who": label}
            )
            return None
        return parsed


def families_import_parse(*, collectivity: Collectivity, data: bytes) -> list[ParsedFamily]:
    """Validate the whole file; raise ``FamilyImportError`` listing every error."""
    reader = _reader(_decode(data))
    try:
        raw_header = next(reader)
    except (StopIteration, csv.Error):
        raise FamilyImportError([ImportRowError(1, _("le fichier est vide."))]) from None
    header = [_normalize_header(name) for name in raw_header]
    known, child_numbers = _known_columns(header)
    errors: list[ImportRowError] = []
    unknown = [raw for raw, name in zip(raw_header, header, strict=True) if name not in known]
    if unknown:
        errors.append(
            ImportRowError(
                1,
                _("colonne(s) inconnue(s) : %(columns)s. Utilisez le modèle de fichier.")
                % {"columns": ", ".join(unknown)},
            )
        )
    missing = [f"resp1_{name}" for name in GUARDIAN1_REQUIRED if f"resp1_{name}" not in set(header)]
    if missing:
        errors.append(
            ImportRowError(
                1,
                _("colonne(s) obligatoire(s) absente(s) : %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    if errors:
        raise FamilyImportError(errors)

    parsed: list[ParsedFamily] = []
    refs_seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(parsed) >= MAX_ROWS:
                errors.append(
                    ImportRowError(
                        line,
                        _("trop de lignes : %(max)s familles au plus par fichier.")
                        % {"max": MAX_ROWS},
                    )
                )
                break
            if len(row) != len(header):
                errors.append(
                    ImportRowError(
                        line,
                        _("%(found)s colonnes au lieu de %(expected)s.")
                        % {"found": len(row), "expected": len(header)},
                    )
                )
                continue
            values = {name: cell.strip() for name, cell in zip(header, row, strict=True) if name}
            validator = _RowValidator(line=line, values=values, errors=errors)
            guardian1 = validator.person("resp1_", _("responsable 1"), GUARDIAN1_REQUIRED)
            family = ParsedFamily(
                line=line,
                name=values.get("nom_famille") or guardian1["last_name"],
                external_ref=values.get("reference_externe", ""),
                guardians=[guardian1],
            )
            if any(values.get(f"resp2_{name}") for name in PERSON_FIELDS):
                family.guardians.append(
                    validator.person("resp2_", _("responsable 2"), GUARDIAN2_REQUIRED)
                )
            for number in child_numbers:
                if any(values.get(f"enfant{number}_{name}") for name in CHILD_FIELDS):
                    family.children.append(validator.child(number))
            if family.external_ref:
                if family.external_ref in refs_seen:
                    validator.error(
                        _("référence externe « %(ref)s » déjà présente ligne %(other)s.")
                        % {"ref": family.external_ref, "other": refs_seen[family.external_ref]}
                    )
                else:
                    refs_seen[family.external_ref] = line
            parsed.append(family)
    except csv.Error as error:
        errors.append(
            ImportRowError(
                reader.line_num, _("ligne illisible (%(error)s).") % {"error": str(error)}
            )
        )

    if refs_seen:
        existing = set(
            Family.objects.filter(
                collectivity=collectivity, external_ref__in=list(refs_seen)
            ).values_list("external_ref", flat=True)
        )
        for ref in sorted(existing, key=refs_seen.get):
            errors.append(
                ImportRowError(
                    refs_seen[ref],
                    _("référence externe « %(ref)s » déjà utilisée par une famille existante.")
                    % {"ref": ref},
                )
            )
    if not parsed and not errors:
        errors.append(ImportRowError(2, _("aucune famille dans le fichier.")))
    if errors:
        errors.sort(key=lambda error: error.line)
        raise FamilyImportError(errors)
    return parsed


@transaction.atomic
def families_import_csv(*, collectivity: Collectivity, data: bytes, by=None) -> ImportResult:
    """Import every family of the file, or none: guardians (1 is the payer), children, a new
    subscriber code each, and a "famille importée" event on each family's timeline."""
    parsed = families_import_parse(collectivity=collectivity, data=data)
    families = []
    guardians = []
    children = []
    for row in parsed:
        family = Family.objects.create(
            collectivity=collectivity, name=row.name, external_ref=row.external_ref
        )
        families.append(family)
        for rank, values in enumerate(row.guardians, start=1):
            guardians.append(Guardian(family=family, rank=rank, is_payer=rank == 1, **values))
        children.extend(Child(family=family, **values) for values in row.children)
    Guardian.objects.bulk_create(guardians, batch_size=500)
    Child.objects.bulk_create(children, batch_size=500)
    for family in families:
        family_code_regenerate(family=family, by=by)
        family_event(
            family,
            actor=by,
            verb="family_imported",
            message=_("Famille importée."),
        )
    return ImportResult(families=families, children_count=len(children))


def import_template_csv() -> str:
    """The model file served from the import page: header and two example families."""
    header = ["reference_externe", "nom_famille"]
    header += [f"resp1_{name}" for name in PERSON_FIELDS]
    header += [f"resp2_{name}" for name in PERSON_FIELDS]
    for number in (1, 2, 3):
        header += [f"enfant{number}_{name}" for name in CHILD_FIELDS]
    rows = [
        [
            "F-0001",
            "Dupont",
            *["Mme", "Dupont", "Claire", "12/03/1985", "claire.dupont@example.fr"],
            *["06 12 34 56 78", "3 rue des Écoles", "45000", "Orléans"],
            *["M.", "Dupont", "Marc", "1983-07-01", "", "", "3 rue des Écoles", "45000"],
            "Orléans",
            *["Dupont", "Léa", "04/09/2016", "F", "École Jules Ferry", "CE2"],
            *["Dupont", "Tom", "2019-01-22", "M", "École Jules Ferry", "GS"],
            *[""] * 6,
        ],
        [
            "F-0002",
            "",
            *["M.", "Martin", "Karim", "", "", "", "8 allée des Tilleuls", "45100", "Orléans"],
            *[""] * 9,
            *["Martin", "Inès", "15/05/2014", "F", "", "CM2"],
            *[""] * 12,
        ],
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
