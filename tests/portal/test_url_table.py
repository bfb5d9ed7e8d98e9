"""Every URL of the project, walked from the resolver, against every kind of visitor
(pretix's ``test_permissions.py``).

For each pattern the table ``EXPECTATIONS`` says who it is for and, when the URL names an
object, which *forbidden* object to put in it: another family's (for parents) or another
collectivity's (for agents). The forbidden rows exist in the database; the test asserts:

- anonymous → the log-in page (allauth's or the back office's) or 404, never the page;
- a parent of another family → 404 (or, for a page that names no object, a page that shows
  nothing of the forbidden family, even when asked for it with ``?famille=<its id>``);
- an agent of another collectivity → 403 (the back office of a host is closed to non-members),
  and an agent of this collectivity asking for another collectivity's object → 404;
- no answer is a 500.

Wagtail's own admin and front-end URLs are checked by family (``WAGTAIL_PREFIXES``). A URL
that is neither in the table nor under those prefixes fails ``test_every_url_has_an_entry``:
a new view cannot be added without saying who may reach it.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

import pytest

from billing.models import (
    DirectDebitBatch,
    DirectDebitItem,
    Invoice,
    InvoicingRun,
    Mandate,
    Payment,
    PaymentTransaction,
    Regie,
    Tariff,
    TaxCertificate,
)
from family.models import (
    AuthorizationType,
    AuthorizedAdult,
    ChangeRequest,
    FamilyCreationRequest,
    Guardian,
)
from notifications.services import email_queue
from pieces.models import DocumentType
from pieces.services import document_upload
from planning.models import ActivityClosure, Booking, BookingRequest, CalendarFeed
from portal.links import PENDING_LINKS, PORTAL_LINKS
from portal.models import Membership
from portal.services import membership_grant
from tests.conftest import HOST_A
from tests.pieces.factories import PDF_BYTES
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

FORBIDDEN_NAME = "Interdite"  # in every forbidden family's and child's name
LOGIN_PATHS = ("/compte/connexion/", "/admin/login/")


# --- the world: one parent, another family here, and another collectivity --------------------


@dataclass
class World:
    parent: object
    agent_a: object
    agent_b: object
    own_family: object
    # another family of collectivity A (forbidden to the parent)
    x: dict = field(default_factory=dict)
    # collectivity B's rows (forbidden to A's agent)
    b: dict = field(default_factory=dict)


def _family_rows(collectivity, *, name: str, day: datetime.date) -> dict:
    family = FamilyFactory(collectivity=collectivity, name=name)
    guardian = Guardian.objects.create(family=family, first_name="Paul", last_name=name)
    child = ChildFactory(family=family, first_name=f"Zoé{name}")
    activity = ActivityFactory(collectivity=collectivity)
    slot = SlotFactory(activity=activity, date=day)
    enrolment = EnrolmentFactory(
        child=child, activity=activity, status=EnrolmentFactory._meta.model.Status.PENDING
    )
    booking = BookingFactory(
        child=child,
        slot=slot,
        state=Booking.State.OFFERED,
        offer_expires_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
    )
    booking_request = BookingRequest.objects.create(
        family=family,
        activity=activity,
        kind=BookingRequest.Kind.RESERVATION,
        date_from=day,
        date_to=day,
        weekdays=[day.weekday()],
    )
    change_request = ChangeRequest.objects.create(
        family=family,
        target=ChangeRequest.Target.CHILD,
        child=child,
        object_id=child.pk,
        changes={"first_name": {"old": child.first_name, "new": "Autre"}},
    )
    adult = AuthorizedAdult.objects.create(
        child=child, first_name="Jean", last_name=name, relation="Oncle", phone="0600000000"
    )
    subscription = SubscriptionFactory(family=family)
    regie = Regie.objects.get_or_create(
        collectivity=collectivity, code="01", defaults={"name": f"Régie {name}"}
    )[0]
    invoice = Invoice.objects.create(
        regie=regie,
        family=family,
        payer_name=f"Paul {name}",
        number=f"F01-2026-{family.pk:06d}",
        issue_date=day,
        due_date=day,
        total=10,
    )
    transaction = PaymentTransaction.objects.create(
        regie=regie,
        family=family,
        amount=10,
        email=f"{name}@example.test",
        reference=f"P01{family.pk:06d}",
        provider_id=f"fournisseur{family.pk}",
        status=PaymentTransaction.Status.WAITING,
    )
    transaction.invoices.set([invoice])
    run = InvoicingRun.objects.create(
        regie=regie, label=f"Facturation {name}", period_start=day, period_end=day
    )
    invoice.run = run
    invoice.save(update_fields=["run"])
    mandate = Mandate.objects.create(
        regie=regie,
        family=family,
        rum=f"M01-{family.pk:07d}-01",
        signature_date=day,
        holder_name=f"Paul {name}",
        iban="FR7630006000011234567890189",
    )
    debit_payment = Payment.objects.create(
        regie=regie,
        family=family,
        number=f"R01-2026-{family.pk:06d}",
        kind=Payment.Kind.DIRECT_DEBIT,
        date=day,
        amount=10,
    )
    batch = DirectDebitBatch.objects.create(
        regie=regie, collection_date=day, message_id=f"MSG{family.pk}", count=1, total=10
    )
    debit_item = DirectDebitItem.objects.create(
        batch=batch,
        invoice=invoice,
        mandate=mandate,
        payment=debit_payment,
        amount=10,
        sequence="FRST",
        end_to_end_id=invoice.number,
    )
    document_type = DocumentType.objects.create(
        collectivity=collectivity, name=f"Assurance {name}", formats=["pdf"]
    )
    child_type = DocumentType.objects.create(
        collectivity=collectivity,
        name=f"Vaccins {name}",
        formats=["pdf"],
        holder=DocumentType.Holder.CHILD,
    )
    document = document_upload(
        family=family,
        document_type=document_type,
        uploads=[SimpleUploadedFile("a.pdf", PDF_BYTES)],
        by=None,
    )
    return {
        "run": run,
        "tariff": Tariff.objects.create(activity=activity, valid_from=day, unit="meal"),
        "mandate": mandate,
        "debit_batch": batch,
        "debit_item": debit_item,
        "document_type": document_type,
        "document_type_child": child_type,
        "document": document,
        "document_file": document.files.get(),
        "invoice": invoice,
        "certificate": TaxCertificate.objects.create(
            family=family, child=child, year=day.year - 1, amount=10
        ),
        "transaction": transaction,
        "regie": regie,
        "family": family,
        "guardian": guardian,
        "child": child,
        "activity": activity,
        "closure": ActivityClosure.objects.create(activity=activity, date=day),
        "slot": slot,
        "enrolment": enrolment,
        "booking": booking,
        "booking_request": booking_request,
        "change_request": change_request,
        "adult": adult,
        "subscription": subscription,
        "feed": CalendarFeed.objects.create(family=family),
        "authorization_type": AuthorizationType.objects.create(
            collectivity=collectivity, label=f"Sortie {name}"
        ),
        "creation": FamilyCreationRequest.objects.create(
            collectivity=collectivity,
            user=UserFactory(),
            status=FamilyCreationRequest.Status.PENDING,
        ),
        "email": email_queue(
            template="account/unknown_account",
            to=[f"{name}@example.test"],
            collectivity=collectivity,
            context={"email": f"{name}@example.test"},
        ),
    }


@pytest.fixture
def world(collectivity_a, collectivity_b):
    day = datetime.date(2026, 12, 3)
    for collectivity in (collectivity_a, collectivity_b):
        collectivity.module_documents = True
        collectivity.save()
    parent = UserFactory(email="parent.table@example.test")
    own = FamilyFactory(collectivity=collectivity_a, name="Famille-Propre")
    SubscriptionFactory(user=parent, family=own)
    ChildFactory(family=own, first_name="Léo")
    agent_a = UserFactory(email="agent.table.a@example.test")
    membership_grant(user=agent_a, collectivity=collectivity_a, role=Membership.Role.AGENT)
    membership_grant(user=agent_a, collectivity=collectivity_a, role=Membership.Role.HEALTH)
    agent_b = UserFactory(email="agent.table.b@example.test")
    membership_grant(user=agent_b, collectivity=collectivity_b, role=Membership.Role.AGENT)
    return World(
        parent=parent,
        agent_a=agent_a,
        agent_b=agent_b,
        own_family=own,
        x=_family_rows(collectivity_a, name=f"Famille{FORBIDDEN_NAME}X", day=day),
        b=_family_rows(collectivity_b, name=f"Famille{FORBIDDEN_NAME}B", day=day),
    )


# --- the table ------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, no object: the answer only must not be a 500
PARENT = "parent"  # log-in required; objects of the account's families only
AGENT = "agent"  # the back office of this collectivity
TOKEN = "token"  # reached by a secret in the URL: a wrong or foreign secret is refused


@dataclass(frozen=True)
class Row:
    audience: str
    kwargs: object = None  # world_rows (dict) -> URL kwargs with the forbidden object


def _k(**spec):
    """URL kwargs from the forbidden rows: ``_k(pk=("child", "pk"))``."""
    return lambda rows: {name: getattr(rows[key], attr) for name, (key, attr) in spec.items()}


def _fixed(**values):
    return lambda rows: dict(values)


EXPECTATIONS: dict[str, Row] = {
    # portal
    "healthz": Row(PUBLIC),
    "cms_image": Row(PUBLIC, _fixed(path="original_images/inconnue.png")),
    "admin/login/": Row(PUBLIC),
    "admin/test404/": Row(PUBLIC),
    "portal:account_space": Row(PARENT),
    # accounts (allauth, our French routes)
    "account_login": Row(PUBLIC),
    "account_logout": Row(PUBLIC),
    "account_inactive": Row(PUBLIC),
    "account_signup": Row(PUBLIC),
    "account_reauthenticate": Row(PARENT),
    "account_email": Row(PARENT),
    "account_email_verification_sent": Row(PUBLIC),
    "account_resend_activation": Row(PUBLIC),
    "account_confirm_email": Row(TOKEN, _fixed(key="cle-inconnue")),
    "account_change_password": Row(PARENT),
    "account_set_password": Row(PARENT),
    "account_reset_password": Row(PUBLIC),
    "account_reset_password_done": Row(PUBLIC),
    "account_reset_password_from_key": Row(TOKEN, _fixed(uidb36="zz", key="cle-inconnue")),
    "account_reset_password_from_key_done": Row(PUBLIC),
    "account_confirm_login_code": Row(PUBLIC),
    # family: parents
    "family:space": Row(PARENT),
    "family:no_code": Row(PARENT),
    "family:dossier": Row(PARENT),
    "family:dossier_guardian_basic": Row(PARENT, _k(guardian_id=("guardian", "pk"))),
    "family:dossier_guardian_address": Row(PARENT, _k(guardian_id=("guardian", "pk"))),
    "family:dossier_bank": Row(PARENT),
    "family:dossier_fiscal": Row(PARENT),
    "family:dossier_child_general": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_child_authorizations": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_child_health": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_adult_add": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_adult_edit": Row(
        PARENT, _k(child_id=("child", "pk"), adult_id=("adult", "pk"))
    ),
    "family:dossier_adult_remove": Row(
        PARENT, _k(child_id=("child", "pk"), adult_id=("adult", "pk"))
    ),
    "family:dossier_child_photo": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_child_photo_edit": Row(PARENT, _k(child_id=("child", "pk"))),
    "family:dossier_request_cancel": Row(PARENT, _k(request_id=("change_request", "pk"))),
    "family:creation": Row(PARENT),
    "family:creation_step": Row(PARENT, _fixed(step=2)),
    "family:creation_sent": Row(PARENT),
    "family:creation_restart": Row(PARENT),
    "family:creation_cancel": Row(PARENT),
    "family:subscriptions": Row(PARENT),
    "family:subscription_add": Row(PARENT),
    "family:subscription_confirm": Row(PARENT, _fixed(token="jeton-inconnu")),
    # family: back office
    "family_admin:detail": Row(AGENT, _k(pk=("family", "pk"))),
    "family_admin:subscription_unlink": Row(
        AGENT, _k(pk=("family", "pk"), subscription_pk=("subscription", "pk"))
    ),
    "family_admin:code_revoke": Row(AGENT, _k(pk=("family", "pk"))),
    "family_admin:code_regenerate": Row(AGENT, _k(pk=("family", "pk"))),
    "family_admin:letter": Row(AGENT, _k(pk=("family", "pk"))),
    "family_admin:quotient_add": Row(AGENT, _k(pk=("family", "pk"))),
    "family_admin:letters": Row(AGENT),
    "family_admin:accounts": Row(AGENT),
    "family_admin:import": Row(AGENT),
    "family_admin:import_template": Row(AGENT),
    "family_admin:requests": Row(AGENT),
    "family_admin:requests_bulk": Row(AGENT),
    "family_admin:request_detail": Row(AGENT, _k(pk=("change_request", "pk"))),
    "family_admin:request_accept": Row(AGENT, _k(pk=("change_request", "pk"))),
    "family_admin:request_refuse": Row(AGENT, _k(pk=("change_request", "pk"))),
    "family_admin:request_photo": Row(AGENT, _k(pk=("change_request", "pk"))),
    "family_admin:health_logs": Row(AGENT),
    "family_admin:authorization_types": Row(AGENT),
    "family_admin:authorization_type_add": Row(AGENT),
    "family_admin:authorization_type_edit": Row(AGENT, _k(pk=("authorization_type", "pk"))),
    "family_admin:authorization_type_deactivate": Row(AGENT, _k(pk=("authorization_type", "pk"))),
    "family_admin:creation_detail": Row(AGENT, _k(pk=("creation", "pk"))),
    "family_admin:creation_accept": Row(AGENT, _k(pk=("creation", "pk"))),
    "family_admin:creation_refuse": Row(AGENT, _k(pk=("creation", "pk"))),
    "family_family_modeladmin_index": Row(AGENT),
    # planning: parents
    "planning:index": Row(PARENT),
    "planning:slot": Row(PARENT, _k(slot_id=("slot", "pk"), child_id=("child", "pk"))),
    "planning:calendar": Row(PARENT),
    "planning:feed": Row(TOKEN, _k(token=("feed", "token"))),
    "planning:list": Row(PARENT),
    "planning:request_day": Row(
        PARENT,
        lambda rows: {
            "slot_id": rows["slot"].pk,
            "child_id": rows["child"].pk,
            "kind": "reservation",
        },
    ),
    "planning:request_period": Row(PARENT, _fixed(kind="reservation")),
    "planning:request_detail": Row(PARENT, _k(pk=("booking_request", "pk"))),
    "planning:request_cancel": Row(PARENT, _k(pk=("booking_request", "pk"))),
    "planning:offer_respond": Row(PARENT, _k(booking_id=("booking", "pk"))),
    "planning:enrolments": Row(PARENT),
    "planning:enrolment_new": Row(PARENT),
    "planning:enrolment_cancel": Row(PARENT, _k(pk=("enrolment", "pk"))),
    # planning: back office
    "planning_admin:activities": Row(AGENT),
    "planning_admin:activity_add": Row(AGENT),
    "planning_admin:activity_detail": Row(AGENT, _k(pk=("activity", "pk"))),
    "planning_admin:activity_edit": Row(AGENT, _k(pk=("activity", "pk"))),
    "planning_admin:activity_delete": Row(AGENT, _k(pk=("activity", "pk"))),
    "planning_admin:activity_generate": Row(AGENT, _k(pk=("activity", "pk"))),
    "planning_admin:closure_add": Row(AGENT, _k(pk=("activity", "pk"))),
    "planning_admin:closure_delete": Row(
        AGENT, _k(pk=("activity", "pk"), closure_pk=("closure", "pk"))
    ),
    "planning_admin:occupancy": Row(AGENT),
    "planning_admin:attendance": Row(AGENT),
    "planning_admin:register": Row(AGENT, _k(slot_id=("slot", "pk"))),
    "planning_admin:register_pdf": Row(AGENT, _k(slot_id=("slot", "pk"))),
    "planning_admin:enrolments": Row(AGENT),
    "planning_admin:enrolments_bulk": Row(AGENT),
    "planning_admin:enrolment_create": Row(AGENT),
    "planning_admin:enrolment_detail": Row(AGENT, _k(pk=("enrolment", "pk"))),
    "planning_admin:enrolment_accept": Row(AGENT, _k(pk=("enrolment", "pk"))),
    "planning_admin:enrolment_refuse": Row(AGENT, _k(pk=("enrolment", "pk"))),
    "planning_admin:requests": Row(AGENT),
    "notifications_admin:emails": Row(AGENT),
    "notifications_admin:email_detail": Row(AGENT, _k(pk=("email", "pk"))),
    "notifications_admin:email_resend": Row(AGENT, _k(pk=("email", "pk"))),
    "notifications_admin:request_message": Row(
        AGENT, lambda rows: {"kind": "reservation", "pk": rows["booking_request"].pk}
    ),
    "notifications:requests": Row(PARENT),
    "notifications:request_detail": Row(
        PARENT, lambda rows: {"kind": "reservation", "pk": rows["booking_request"].pk}
    ),
    "notifications:preferences": Row(PARENT),
    "billing:index": Row(PARENT),
    "billing:invoice": Row(PARENT, _k(pk=("invoice", "pk"))),
    "billing:invoice_pdf": Row(PARENT, _k(pk=("invoice", "pk"))),
    "billing:certificate_pdf": Row(PARENT, _k(pk=("certificate", "pk"))),
    "billing:pay": Row(PARENT),
    "billing:payment_return": Row(PARENT, _k(transaction_id=("transaction", "uuid"))),
    # The provider's notification: the uuid is the secret; another collectivity's is a 404,
    # an answer that does not parse or match is a 400 and changes nothing.
    "billing:payment_notify": Row(TOKEN, _k(uuid=("transaction", "uuid"))),
    # The payment simulator (dev and test settings only): a page from its query string.
    "payment_simulator:index": Row(PUBLIC),
    "billing_admin:invoices": Row(AGENT),
    "billing_admin:invoice_detail": Row(AGENT, _k(pk=("invoice", "pk"))),
    "billing_admin:invoice_pdf": Row(AGENT, _k(pk=("invoice", "pk"))),
    "billing_admin:invoice_cancel": Row(AGENT, _k(pk=("invoice", "pk"))),
    "billing_admin:statement": Row(AGENT, _k(pk=("family", "pk"))),
    "billing_admin:payment_add": Row(AGENT, _k(pk=("family", "pk"))),
    "billing_admin:regies": Row(AGENT),
    "billing_admin:regie_add": Row(AGENT),
    "billing_admin:regie_edit": Row(AGENT, _k(pk=("regie", "pk"))),
    "billing_admin:import": Row(AGENT),
    "billing_admin:import_template": Row(AGENT),
    "billing_admin:payments_export": Row(AGENT),
    "billing_admin:tariffs": Row(AGENT),
    "billing_admin:tariff_add": Row(AGENT),
    "billing_admin:tariff_edit": Row(AGENT, _k(pk=("tariff", "pk"))),
    "billing_admin:run_export_csv": Row(AGENT, _k(pk=("run", "pk"))),
    "billing_admin:run_export_xlsx": Row(AGENT, _k(pk=("run", "pk"))),
    "billing_admin:reminders": Row(AGENT),
    "billing_admin:reminder_letters": Row(AGENT),
    "billing_admin:certificates": Row(AGENT),
    "billing_admin:certificates_generate": Row(AGENT),
    "billing_admin:certificates_print": Row(AGENT),
    "billing_admin:mandate_add": Row(AGENT, _k(pk=("family", "pk"))),
    "billing_admin:mandate_revoke": Row(AGENT, _k(pk=("mandate", "pk"))),
    "billing_admin:debit_batches": Row(AGENT),
    "billing_admin:debit_batch_add": Row(AGENT),
    "billing_admin:debit_batch": Row(AGENT, _k(pk=("debit_batch", "pk"))),
    "billing_admin:debit_batch_file": Row(AGENT, _k(pk=("debit_batch", "pk"))),
    "billing_admin:debit_reject": Row(AGENT, _k(pk=("debit_item", "pk"))),
    # pieces: parents (the family-level page names a type of this collectivity, not an object
    # of the family: asked for another family with ``?famille=``, it answers 404)
    "pieces:index": Row(PARENT),
    "pieces:family_document": Row(PARENT, _k(type=("document_type", "pk"))),
    "pieces:child_document": Row(
        PARENT, _k(type=("document_type_child", "pk"), child_id=("child", "pk"))
    ),
    "pieces:file_download": Row(PARENT, _k(pk=("document_file", "pk"))),
    "pieces:file_remove": Row(PARENT, _k(pk=("document_file", "pk"))),
    # pieces: back office
    "pieces_admin:queue": Row(AGENT),
    "pieces_admin:queue_bulk": Row(AGENT),
    "pieces_admin:document": Row(AGENT, _k(pk=("document", "pk"))),
    "pieces_admin:accept": Row(AGENT, _k(pk=("document", "pk"))),
    "pieces_admin:refuse": Row(AGENT, _k(pk=("document", "pk"))),
    "pieces_admin:file_inline": Row(AGENT, _k(pk=("document_file", "pk"))),
    "pieces_admin:file_download": Row(AGENT, _k(pk=("document_file", "pk"))),
    "pieces_admin:paper_add": Row(AGENT, _k(pk=("family", "pk"))),
    "pieces_admin:types": Row(AGENT),
    "pieces_admin:type_add": Row(AGENT),
    "pieces_admin:type_edit": Row(AGENT, _k(pk=("document_type", "pk"))),
    "billing_admin:runs": Row(AGENT),
    "billing_admin:run_add": Row(AGENT),
    "billing_admin:run_detail": Row(AGENT, _k(pk=("run", "pk"))),
    "billing_admin:run_recompute": Row(AGENT, _k(pk=("run", "pk"))),
    "billing_admin:run_issue": Row(AGENT, _k(pk=("run", "pk"))),
    "billing_admin:run_remove": Row(AGENT, _k(pk=("run", "pk"))),
    "planning_admin:requests_bulk": Row(AGENT),
    "planning_admin:request_detail": Row(AGENT, _k(pk=("booking_request", "pk"))),
    "planning_admin:request_decide": Row(AGENT, _k(pk=("booking_request", "pk"))),
}

# Wagtail's own URLs, checked as a family: its admin (closed to anonymous visitors and to
# other collectivities' agents), its documents and its page serving (public).
WAGTAIL_ADMIN_PREFIX = "admin/"
# The back office's pages that must open before one is logged in (log-in, password reset, the
# icons and translations the log-in page loads).
WAGTAIL_ADMIN_OPEN = {
    "wagtailadmin_login",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
}
WAGTAIL_PUBLIC_PREFIXES = ("documents/", "_util/", "^((?:[\\w\\-]+/)*)$")
# Regex routes (Wagtail's and allauth's) turned into a concrete path.
REGEX_PATHS = {
    "admin/pages/^(?P<pk>\\d+)/revisions/compare/(?P<revision_id_a>live|earliest|\\d+)\\.\\.\\."
    "(?P<revision_id_b>live|latest|\\d+)/$": "/admin/pages/999999/revisions/compare/earliest...latest/",
    "admin/^.*/$": "/admin/une-page-inconnue/",
    "admin/^family/family/$": "/admin/family/family/",
    "documents/^(\\d+)/(.*)$": "/documents/999999/inconnu.pdf",
    "^((?:[\\w\\-]+/)*)$": "/une-page-inconnue/",
}


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name (with its namespaces), or the route when it has none
    route: str
    name: str | None
    is_regex: bool
    module: str


def all_patterns() -> list[Pattern]:
    found = []

    def walk(resolver, prefix="", namespace="", regex=False):
        for entry in resolver.url_patterns:
            is_regex = regex or isinstance(entry.pattern, RegexPattern)
            if isinstance(entry, URLResolver):
                ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
                walk(entry, prefix + str(entry.pattern), ns, is_regex)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = namespace + entry.name if entry.name else None
                module = getattr(entry.callback, "__module__", "")
                found.append(Pattern(name or route, route, name, is_regex, module))

    walk(get_resolver())
    return found


def _is_wagtail(pattern: Pattern) -> bool:
    if pattern.key in EXPECTATIONS:
        return False
    return pattern.route.startswith(WAGTAIL_ADMIN_PREFIX) or pattern.route.startswith(
        WAGTAIL_PUBLIC_PREFIXES
    )


def _concrete(route: str) -> str:
    """A path for a Wagtail route: converters filled with values that name nothing."""
    for key, path in REGEX_PATHS.items():
        if route == key:
            return path
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"<int:\w+>", "999999", path)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", path)
    path = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "inconnu", path)
    return "/" + path


def _path(pattern: Pattern, rows: dict) -> str:
    row = EXPECTATIONS[pattern.key]
    kwargs = row.kwargs(rows) if row.kwargs else {}
    if pattern.name:
        return reverse(pattern.name, kwargs=kwargs)
    return _concrete(pattern.route)


def _client(user=None) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    if user is not None:
        client.force_login(user)
    return client


def _fetch(user, path: str, query: dict | None = None):
    """GET, or POST when the view takes only POST (the forbidden object must still 404), from
    a fresh client each time, so that no URL of the walk (a log-out) changes the next one."""
    client = _client(user)
    response = client.get(path, query or {})
    if response.status_code == 405:
        response = client.post(path, query or {})
    return response


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0].endswith(LOGIN_PATHS)


def _report(problems: list[str]) -> str:
    return "\n".join(problems)


# --- the tests ------------------------------------------------------------------------------


def test_every_url_has_an_entry():
    """A new URL fails here until the table says who may reach it."""
    missing = [
        f"{p.key}  ({p.route}, {p.module})"
        for p in all_patterns()
        if p.key not in EXPECTATIONS and not _is_wagtail(p)
    ]
    assert not missing, "URLs without an entry in EXPECTATIONS:\n" + _report(missing)
    known = {p.key for p in all_patterns()}
    stale = sorted(set(EXPECTATIONS) - known)
    assert not stale, "EXPECTATIONS names URLs that no longer exist: " + ", ".join(stale)


def test_anonymous_visitors_get_the_log_in_page_or_404(world):
    problems = []
    for pattern in all_patterns():
        if _is_wagtail(pattern):
            continue
        row = EXPECTATIONS[pattern.key]
        rows = world.b if row.audience == AGENT else world.x
        path = _path(pattern, rows)
        response = _fetch(None, path)
        status = response.status_code
        if status >= 500:
            problems.append(f"{pattern.key} {path}: {status}")
        elif row.audience in (PARENT, AGENT) and not (
            _is_login_redirect(response) or status == 404
        ):
            problems.append(f"{pattern.key} {path}: {status}, expected the log-in page or 404")
        elif row.audience == TOKEN and status not in (200, 302, 400, 404, 410):
            problems.append(f"{pattern.key} {path}: {status}")
    assert not problems, _report(problems)


def test_a_parent_never_reaches_another_familys_rows(world):
    """The parent is logged in on A with a family of their own; every object in the URL is
    another family's (of the same collectivity, so only the family check protects it)."""
    forbidden = world.x
    problems = []
    for pattern in all_patterns():
        if _is_wagtail(pattern):
            continue
        row = EXPECTATIONS[pattern.key]
        if row.audience == AGENT:
            continue
        path = _path(pattern, forbidden)
        if (
            row.audience == PARENT
            and row.kwargs
            and any(key.endswith(("_id", "pk")) for key in row.kwargs(forbidden))
        ):
            status = _fetch(world.parent, path).status_code
            if status != 404:
                problems.append(f"{pattern.key} {path}: {status}, expected 404")
            continue
        if row.audience == TOKEN and pattern.key == "planning:feed":
            # The feed's token is the family's own secret: with another collectivity's
            # token, on this host, it answers 404.
            path = reverse(pattern.name, kwargs={"token": world.b["feed"].token})
            status = _fetch(world.parent, path).status_code
            if status != 404:
                problems.append(f"{pattern.key} with B's token: {status}, expected 404")
            continue
        # A page that names no object: asked for the forbidden family, it refuses (404) or
        # shows nothing of it.
        response = _fetch(world.parent, path, {"famille": forbidden["family"].pk})
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        if response.status_code >= 500:
            problems.append(f"{pattern.key} {path}: {response.status_code}")
        elif FORBIDDEN_NAME in body:
            problems.append(f"{pattern.key} {path}: shows the forbidden family")
    assert not problems, _report(problems)


def test_an_agent_of_another_collectivity_is_refused(world):
    """B's agent, logged in on A's host: the back office answers 403 everywhere (Wagtail's own
    pages included)."""
    problems = []
    for pattern in all_patterns():
        wagtail_admin = _is_wagtail(pattern) and pattern.route.startswith(WAGTAIL_ADMIN_PREFIX)
        if not wagtail_admin and EXPECTATIONS.get(pattern.key, Row(PUBLIC)).audience != AGENT:
            continue
        path = _concrete(pattern.route) if wagtail_admin else _path(pattern, world.x)
        if pattern.key in WAGTAIL_ADMIN_OPEN or path.startswith(
            ("/admin/login/", "/admin/logout/")
        ):
            continue
        status = _fetch(world.agent_b, path).status_code
        if status not in (403, 404):
            problems.append(f"{pattern.key} {path}: {status}, expected 403")
    assert not problems, _report(problems)


def test_an_agent_never_reaches_another_collectivitys_rows(world):
    """A's agent (with the health-data role): every object in the URL is B's → 404; the
    listings show nothing of B."""
    forbidden = world.b
    problems = []
    for pattern in all_patterns():
        if _is_wagtail(pattern):
            continue
        row = EXPECTATIONS[pattern.key]
        if row.audience != AGENT:
            continue
        path = _path(pattern, forbidden)
        if row.kwargs:
            status = _fetch(world.agent_a, path).status_code
            if status != 404:
                problems.append(f"{pattern.key} {path}: {status}, expected 404")
            continue
        # Asked for B's family by its id (``?famille=``), a listing refuses or ignores it.
        response = _fetch(world.agent_a, path, {"famille": forbidden["family"].pk})
        if response.status_code >= 500:
            problems.append(f"{pattern.key} {path}: {response.status_code}")
        elif response.status_code == 200 and FORBIDDEN_NAME + "B" in response.content.decode(
            errors="replace"
        ):
            problems.append(f"{pattern.key} {path}: shows collectivity B's rows")
    assert not problems, _report(problems)


def test_wagtail_urls_are_closed_to_anonymous_visitors(world):
    problems = []
    for pattern in all_patterns():
        if not _is_wagtail(pattern):
            continue
        path = _concrete(pattern.route)
        response = _fetch(None, path)
        status = response.status_code
        if status >= 500:
            problems.append(f"{pattern.key} {path}: {status}")
        elif (
            pattern.route.startswith(WAGTAIL_ADMIN_PREFIX)
            and pattern.key not in WAGTAIL_ADMIN_OPEN
            and not (_is_login_redirect(response) or status in (401, 403, 404, 405))
        ):
            problems.append(f"{pattern.key} {path}: {status}, expected the log-in page")
    assert not problems, _report(problems)


# --- destinations ---------------------------------------------------------------------------


def test_every_portal_destination_resolves():
    """Reproduction: « Mes demandes » named ``notifications:requests``, which no URLconf
    defined, so its tile could never show and no test noticed."""
    for key, (_label, url_name, _module) in PORTAL_LINKS.items():
        if key in PENDING_LINKS:
            continue
        assert reverse(url_name), key


def test_pending_destinations_are_really_pending():
    """A destination marked pending (its issue not built yet) must not resolve: the day its
    URL exists, this fails until the mark is removed and the tile shows."""
    from django.urls import NoReverseMatch

    for key in PENDING_LINKS:
        url_name = PORTAL_LINKS[key][1]
        with pytest.raises(NoReverseMatch):
            reverse(url_name)


def test_every_menu_and_tile_destination_of_the_demo_resolves():
    """The demo's menus and home tiles name known destinations, and every one of them that is
    not pending leads to a URL of this project."""
    from django.core.management import call_command

    from cms_pages.models import HomePage, NavigationSettings

    call_command("demo_load", quiet=True)
    targets = []
    for home in HomePage.objects.all():
        targets += [(f"tile of {home.title}", tile.value["target"]) for tile in home.tiles]
    for navigation in NavigationSettings.objects.all():
        for item in [*navigation.header_items.all(), *navigation.footer_items.all()]:
            if item.portal_link:
                targets.append(("menu", item.portal_link))
            elif item.link_page_id:
                assert item.link_page.live, f"menu page {item.link_page} is not live"
    assert targets
    problems = []
    for where, target in targets:
        if target == "help":  # the help index page, a Wagtail page of the site
            continue
        if target not in PORTAL_LINKS:
            problems.append(f"{where}: unknown destination {target}")
        elif target not in PENDING_LINKS:
            reverse(PORTAL_LINKS[target][1])
    assert not problems, _report(problems)
