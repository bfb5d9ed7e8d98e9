"""CSV import of the families a collectivity already knows: all rows valid, or nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from family.models import Child, Family, Guardian
from family.services import subscriber_code_lookup
from family.services.imports import FamilyImportError, families_import_csv, import_template_csv
from notifications.models import TimelineEvent
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "reference_externe;resp1_civilite;resp1_nom;resp1_prenom;resp1_date_naissance;resp1_email;"
    "resp1_telephone;resp1_adresse;resp1_code_postal;resp1_commune;resp2_civilite;resp2_nom;"
    "resp2_prenom;enfant1_nom;enfant1_prenom;enfant1_date_naissance;enfant1_sexe;"
    "enfant1_ecole;enfant1_classe;enfant2_nom;enfant2_prenom;enfant2_date_naissance;"
    "enfant2_sexe;enfant2_ecole;enfant2_classe"
)
ROW_DUPONT = (
    "F-1;Mme;Dupont;Claire;12/03/1985;claire@example.fr;06 12 34 56 78;3 rue des Écoles;"
    "45000;Orléans;M.;Dupont;Marc;Dupont;Léa;04/09/2016;F;Jules Ferry;CE2;Dupont;Tom;"
    "2019-01-22;M;Jules Ferry;GS"
)
ROW_MARTIN = "F-2;M;Martin;Karim;;;;8 allée des Tilleuls;45100;Orléans;;;;Martin;Inès;15/05/2014;F;;CM2;;;;;;"
ROW_BAD_DATE = "F-3;Mme;Petit;Anne;;;;1 rue Haute;45000;Orléans;;;;Petit;Jo;31/02/2015;M;;;;;;;;"


def csv_bytes(*rows, bom=False, sep=";"):
    text = "\r\n".join([HEADER, *rows]).replace(";", sep) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def db_state():
    return (Family.objects.count(), Guardian.objects.count(), Child.objects.count())


def error_text(excinfo):
    return [str(error) for error in excinfo.value.errors]


def test_valid_file_imports_everything_with_codes(collectivity_a, agent_a):
    result = families_import_csv(
        collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT, ROW_MARTIN), by=agent_a
    )
    assert len(result.families) == 2 and result.children_count == 3
    dupont = Family.objects.get(external_ref="F-1")
    assert dupont.collectivity == collectivity_a and dupont.name == "Dupont"
    guardians = list(dupont.guardians.order_by("rank"))
    assert [(g.rank, g.first_name, g.is_payer) for g in guardians] == [
        (1, "Claire", True),
        (2, "Marc", False),
    ]
    claire = guardians[0]
    assert claire.civility == "mme" and claire.email == "claire@example.fr"
    assert (claire.address, claire.postal_code, claire.city) == (
        "3 rue des Écoles",
        "45000",
        "Orléans",
    )
    assert str(claire.birth_date) == "1985-03-12"
    children = list(dupont.children.order_by("first_name"))
    assert [(c.first_name, str(c.birth_date), c.sex, c.school_class) for c in children] == [
        ("Léa", "2016-09-04", "F", "CE2"),
        ("Tom", "2019-01-22", "M", "GS"),
    ]
    for family in result.families:
        family.refresh_from_db()
        assert len(family.subscriber_code) == 12
        assert subscriber_code_lookup(collectivity=collectivity_a, code=family.subscriber_code)
        assert TimelineEvent.objects.filter(
            family_id=family.pk, verb="family_imported", actor=agent_a
        ).exists()


def test_one_bad_row_imports_nothing_and_names_the_line(collectivity_a):
    before = db_state()
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(
            collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT, ROW_BAD_DATE, ROW_MARTIN)
        )
    errors = error_text(excinfo)
    assert len(errors) == 1
    assert errors[0].startswith("Ligne 3 :")
    assert "31/02/2015" in errors[0]
    assert db_state() == before
    assert not TimelineEvent.objects.exists()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (ROW_MARTIN.replace("Karim", ""), "Prénom du responsable 1 manquant"),
        (ROW_MARTIN.replace("45100", "451"), "code postal « 451 » invalide"),
        (ROW_MARTIN.replace(";;;;8 allée", ";;pas-un-mail;;8 allée"), "e-mail « pas-un-mail »"),
        (ROW_MARTIN.replace(";F;;CM2", ";X;;CM2"), "sexe « X » invalide"),
        (ROW_MARTIN.replace("15/05/2014", "15/05/2999"), "dans le futur"),
        (ROW_MARTIN.replace("15/05/2014", "2014.05.15"), "jj/mm/aaaa ou aaaa-mm-jj"),
        (ROW_MARTIN.replace("F-2;M;", "F-2;Dr;"), "civilité « Dr » inconnue"),
        (ROW_MARTIN.replace("Martin;Inès;15/05/2014", ";Inès;"), "Nom de l’enfant 1 manquant"),
    ],
)
def test_each_invalid_value_is_reported_in_french(collectivity_a, row, expected):
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT, row))
    errors = error_text(excinfo)
    assert any(error.startswith("Ligne 3 :") and expected in error for error in errors), errors
    assert Family.objects.count() == 0


def test_bom_and_comma_separator(collectivity_a):
    result = families_import_csv(
        collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT, ROW_MARTIN, bom=True, sep=",")
    )
    assert len(result.families) == 2
    assert Family.objects.filter(external_ref="F-1").exists()  # header's BOM stripped


def test_bom_and_semicolon_separator(collectivity_a):
    result = families_import_csv(collectivity=collectivity_a, data=csv_bytes(ROW_MARTIN, bom=True))
    assert result.families[0].external_ref == "F-2"


def test_template_file_imports_as_is(collectivity_a):
    result = families_import_csv(
        collectivity=collectivity_a, data=b"\xef\xbb\xbf" + import_template_csv().encode()
    )
    assert len(result.families) == 2 and result.children_count == 3


def test_binary_file_is_refused_in_french(collectivity_a):
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(collectivity=collectivity_a, data=b"%PDF-1.7\n\x00\x01\x02\xff\xfe")
    assert "n’est pas un fichier CSV" in error_text(excinfo)[0]
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(collectivity=collectivity_a, data="Nom;Prénom\n".encode("utf-16"))
    assert Family.objects.count() == 0


def test_latin1_file_is_refused_in_french(collectivity_a):
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(
            collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT).decode().encode("latin-1")
        )
    assert "UTF-8" in error_text(excinfo)[0]


def test_unknown_column_is_refused(collectivity_a):
    data = csv_bytes(ROW_MARTIN).replace(b"resp1_commune", b"resp1_ville")
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(collectivity=collectivity_a, data=data)
    errors = error_text(excinfo)
    assert any("Ligne 1" in error and "resp1_ville" in error for error in errors)


def test_duplicate_external_ref_in_file(collectivity_a):
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(
            collectivity=collectivity_a,
            data=csv_bytes(ROW_DUPONT, ROW_MARTIN.replace("F-2;", "F-1;", 1)),
        )
    assert error_text(excinfo) == ["Ligne 3 : référence externe « F-1 » déjà présente ligne 2."]
    assert Family.objects.count() == 0


def test_duplicate_external_ref_already_in_collectivity(collectivity_a, collectivity_b):
    FamilyFactory(collectivity=collectivity_a, external_ref="F-2")
    FamilyFactory(collectivity=collectivity_b, external_ref="F-1")  # another collectivity: fine
    with pytest.raises(FamilyImportError) as excinfo:
        families_import_csv(collectivity=collectivity_a, data=csv_bytes(ROW_DUPONT, ROW_MARTIN))
    errors = error_text(excinfo)
    assert len(errors) == 1 and errors[0].startswith("Ligne 3 :") and "F-2" in errors[0]
    assert Family.objects.count() == 2


# --- the admin page


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def upload(data, name="familles.csv"):
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def test_import_page_imports_into_the_agents_collectivity(
    agent_client, collectivity_a, collectivity_b
):
    url = reverse("family_admin:import")
    page = agent_client.get(url).content.decode()
    assert reverse("family_admin:import_template") in page
    response = agent_client.post(url, upload(csv_bytes(ROW_DUPONT, ROW_MARTIN)), follow=True)
    content = response.content.decode()
    assert "2 famille(s) et 3 enfant(s) importés" in content
    assert f"{reverse('family_admin:letters')}?selection=import" in content
    assert Family.objects.filter(collectivity=collectivity_a).count() == 2
    assert Family.objects.filter(collectivity=collectivity_b).count() == 0
    letters = agent_client.get(reverse("family_admin:letters"), {"selection": "import"})
    assert "2 familles" in letters.content.decode()


def test_import_page_reports_errors_and_imports_nothing(agent_client):
    response = agent_client.post(
        reverse("family_admin:import"), upload(csv_bytes(ROW_DUPONT, ROW_BAD_DATE))
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in content
    assert "Ligne 3 :" in content
    assert "Aucune famille n’a été importée" in content
    assert Family.objects.count() == 0


def test_import_page_without_file(agent_client):
    response = agent_client.post(reverse("family_admin:import"), {})
    assert 'id="id_file-error" role="alert"' in response.content.decode()


def test_import_template_download(agent_client):
    response = agent_client.get(reverse("family_admin:import_template"))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbfreference_externe;")


def test_editor_cannot_import(client_a, editor_a):
    client_a.force_login(editor_a)
    response = client_a.post(reverse("family_admin:import"), upload(csv_bytes(ROW_MARTIN)))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert Family.objects.count() == 0
