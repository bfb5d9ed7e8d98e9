"""The table of every e-mail: each ``templates/<app>/email/<name>.subject.txt`` of the project
(allauth's included, under ``templates/account/email``) has a text and an HTML part, both in
the shared layout, and renders through ``email_render`` with the collectivity's name, an
absolute link, the footer and a one-line ``[Collectivité] `` subject.

The list is discovered, not written by hand: an e-mail added under any app is checked here.
"""

import datetime
import re
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template

from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

import pytest
from allauth.account import app_settings as allauth_settings

from cms_pages.models import BrandingSettings
from notifications.emails import email_render

pytestmark = pytest.mark.django_db

LAYOUT = "notifications/email/layout"
LINK = "/exemple/page-concernee/"
ABSOLUTE_LINK = f"http://localhost{LINK}"

# Values for the variables the e-mails commonly use; the apostrophes and the ampersand show
# whether a text part was HTML-escaped. A variable missing here renders empty.
CONTEXT = {
    "email": "claire.durand@example.test",
    "expire_days": 3,
    "message": "Une place s’est libérée pour l’enfant « Léa » & son frère.",
    "activate_url": ABSOLUTE_LINK,
    "password_reset_url": "http://localhost/compte/mot-de-passe-oublie/",
    "signup_url": "http://localhost/compte/inscription/",
    "login_url": "http://localhost/compte/connexion/",
}


def _acknowledgement(**fields):
    from planning.services.acknowledgements import AskedDay, LeftOutDay, acknowledgement_build

    day = datetime.date(2027, 1, 13)
    values = {
        "kind": "reservation",
        "activity": "Accueil de l’enfant",
        "children": ["Léa", "Tom"],
        "date_from": day,
        "date_to": datetime.date(2027, 2, 24),
        "weekdays": [2],
        "days": [AskedDay("Léa", day, "accepted"), AskedDay("Tom", day, "waiting", position=2)],
        "left_out": [LeftOutDay("Tom", datetime.date(2027, 2, 17), "Vacances d’hiver")],
        "start_time": datetime.time(8, 30),
        "end_time": datetime.time(17, 0),
        **fields,
    }
    return acknowledgement_build(**values)


# Values for the variables of one e-mail (built when the test runs, in French).
TEMPLATE_CONTEXTS = {
    "planning/request_received": lambda: {
        "ack": _acknowledgement(),
        "recipient_name": "Marie Dupont",
    },
    "planning/enrolment_received": lambda: {
        "child": "Léa",
        "activity": "Accueil de l’après-midi",
        "period_long": "du lundi 4 janvier 2027 au vendredi 2 juillet 2027",
        "weekdays": "lundi, mardi",
        "recipient_name": "Marie Dupont",
    },
    "family/change_received": lambda: {
        "ack": _change_acknowledgement(),
        "recipient_name": "Marie Dupont",
    },
    "family/creation_received": lambda: {
        "guardians": ["Marie d’Arc"],
        "children": ["Léa", "Tom"],
        "recipient_name": "Marie d’Arc",
    },
}


def _change_acknowledgement():
    from family.services.acknowledgements import ChangeAcknowledgement, ChangedField

    return ChangeAcknowledgement(
        what="Responsable",
        action="",
        whose="Marie d’Arc",
        child="",
        fields=[ChangedField(label="Commune", old="L’Haÿ-les-Roses", new="Orléans")],
    )


ESCAPING_ARTEFACTS = ("&#x27;", "&#39;", "&amp;", "&quot;", "&lt;", "&gt;")


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    root = Path(settings.BASE_DIR)
    dirs += [p for p in root.glob("*/templates") if (p.parent / "__init__.py").is_file()]
    return dirs


def discovered_emails() -> list[str]:
    """``"<app>/<name>"`` for every ``<dir>/<app>/email/<name>.subject.txt`` of the project."""
    names = {
        f"{path.parent.parent.name}/{path.name.removesuffix('.subject.txt')}"
        for directory in _template_dirs()
        for path in directory.glob("*/email/*.subject.txt")
    }
    return sorted(names)


EMAILS = discovered_emails()


def _parents(name: str) -> list[str]:
    """The chain of templates ``name`` extends, nearest first."""
    chain = []
    while True:
        source = get_template(name).template.source
        match = re.search(r"{%\s*extends\s+[\"']([^\"']+)[\"']\s*%}", source)
        if not match:
            return chain
        name = match.group(1)
        chain.append(name)


def test_the_discovery_finds_the_known_emails():
    # allauth's e-mails and one e-mail of a domain app at least.
    assert {"account/email_confirmation_signup", "account/password_reset_key"} <= set(EMAILS)
    assert any(not name.startswith("account/") for name in EMAILS), EMAILS


@pytest.mark.parametrize("template", EMAILS)
def test_email_has_both_parts_in_the_shared_layout(template):
    app, name = template.split("/")
    for ext in ("txt", "html"):
        part = f"{app}/email/{name}.{ext}"
        get_template(part)  # exists
        assert f"{LAYOUT}.{ext}" in _parents(part), f"{part} does not extend {LAYOUT}.{ext}"


@pytest.mark.parametrize("template", EMAILS)
def test_email_renders_with_the_collectivity_and_an_absolute_link(template, collectivity_a):
    context = {**CONTEXT, **TEMPLATE_CONTEXTS.get(template, dict)()}
    rendered = email_render(
        template=template, context=context, collectivity=collectivity_a, link=LINK
    )

    assert "\n" not in rendered.subject
    assert rendered.subject.startswith("[Ville de Alpha] ")
    assert not rendered.subject.startswith("[Ville de Alpha] ["), "prefixed twice"
    assert rendered.subject.removeprefix("[Ville de Alpha] ").strip()

    html = rendered.body_html
    assert "Ville de Alpha" in html
    assert f'href="{ABSOLUTE_LINK}"' in html
    assert "message automatique" in html

    text = rendered.body_text
    assert ABSOLUTE_LINK in text and "message automatique" in text
    for artefact in ESCAPING_ARTEFACTS:
        assert artefact not in text, f"{artefact} in the text part of {template}"
    assert not re.search(r"</?[a-z][a-z0-9]*[\s>/]", text), "HTML tag in the text part"


def test_the_layout_shows_the_collectivity_logo_as_an_absolute_url(collectivity_a):
    branding = BrandingSettings.for_site(collectivity_a.site)
    branding.logo = Image.objects.create(title="Logo", file=get_test_image_file())
    branding.logo_alt = "Blason de la ville"
    branding.save()

    html = email_render(
        template="account/password_reset_key",
        context=CONTEXT,
        collectivity=collectivity_a,
        link=LINK,
    ).body_html

    match = re.search(r'<img src="([^"]+)" alt="Blason de la ville"', html)
    assert match, html
    assert match.group(1).startswith("http://localhost/")
    assert "background:#1f4e8c" in html


def test_the_layout_without_a_logo_shows_no_image(collectivity_a):
    html = email_render(
        template="account/password_reset_key", context=CONTEXT, collectivity=collectivity_a
    ).body_html
    assert "<img" not in html and "Ville de Alpha" in html


# allauth e-mails the project does not send, with the allauth setting that keeps them off.
# If one of those settings is switched on, the e-mail needs its templates in the layout.
ALLAUTH_EMAILS_OFF = {
    "login_code": "LOGIN_BY_CODE_ENABLED",
    "password_reset_code": "PASSWORD_RESET_BY_CODE_ENABLED",
    **dict.fromkeys(
        [
            "email_changed",
            "email_confirm",
            "email_deleted",
            "password_changed",
            "password_reset",
            "password_set",
        ],
        "EMAIL_NOTIFICATIONS",
    ),
}


def test_every_allauth_email_the_project_can_send_has_its_templates():
    import allauth

    package = Path(allauth.__file__).parent / "templates" / "account" / "email"
    allauth_names = sorted(
        p.name.removesuffix("_subject.txt") for p in package.glob("*_subject.txt")
    )
    missing = [
        name
        for name in allauth_names
        if f"account/{name}" not in EMAILS
        and not (
            name in ALLAUTH_EMAILS_OFF and not getattr(allauth_settings, ALLAUTH_EMAILS_OFF[name])
        )
    ]
    assert not missing, f"allauth e-mails without a template in the layout: {missing}"
