"""Demo loader of the supporting documents (after ``billing.demo.load``): the module on in both
demo collectivities (``cms_pages.demo`` switches it), their document types, and documents in
every state for the demo families — ``parent1@…``'s sees all five: « Transmis » (insurance),
« Obsolète » (proof of address, past its three months), « En cours de validation » (tax
notice), « Invalide » (CAF certificate, with the reason), « A compléter » (vaccinations of
the eldest child; the youngest's are « Transmis »). Every demo family has its insurance, which
blocks new pre-enrolments while missing. The scanner stays off (no ``PORTAL_CLAMD_*`` in the demo).

Everything goes through the services, so events and e-mails are the real ones. Idempotent (as
billing's demo): the types are found again by name, and a family that already has documents
keeps them, so loading twice writes no second event or e-mail.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from family.models import Family
from portal.models import Membership

from .models import DocumentType, SupportingDocument
from .services import (
    document_accept,
    document_refuse,
    document_type_create,
    document_type_update,
    document_upload,
    documents_expire,
)

TYPES = [
    {
        "name": "Attestation d’assurance (responsabilité civile)",
        "description": "L’attestation de l’année scolaire en cours, au nom d’un responsable.",
        "mandatory": True,
        "holder": DocumentType.Holder.FAMILY,
        "validity": DocumentType.Validity.FIXED,
        "validity_end_day": 31,
        "validity_end_month": 8,
        "formats": ["pdf", "jpeg", "png"],
        "blocks_enrolment": True,
        "order": 10,
    },
    {
        "name": "Justificatif de domicile",
        "description": "Facture d’énergie ou de téléphone de moins de trois mois.",
        "mandatory": True,
        "holder": DocumentType.Holder.FAMILY,
        "validity": DocumentType.Validity.DURATION,
        "validity_months": 3,
        "formats": ["pdf", "jpeg", "png"],
        "order": 20,
    },
    {
        "name": "Avis d’imposition",
        "description": "Le dernier avis d’imposition (toutes les pages), pour le calcul du "
        "quotient familial.",
        "mandatory": False,
        "holder": DocumentType.Holder.FAMILY,
        "validity": DocumentType.Validity.FIXED,
        "validity_end_day": 31,
        "validity_end_month": 12,
        "formats": ["pdf", "jpeg", "png"],
        "fiscal_proof": True,
        "order": 30,
    },
    {
        "name": "Attestation CAF (quotient familial)",
        "description": "L’attestation de paiement ou de quotient familial de la CAF ou de la MSA.",
        "mandatory": False,
        "holder": DocumentType.Holder.FAMILY,
        "validity": DocumentType.Validity.DURATION,
        "validity_months": 12,
        "formats": ["pdf"],
        "fiscal_proof": True,
        "order": 40,
    },
    {
        "name": "Carnet de vaccination (pages des vaccins)",
        "description": "Les pages des vaccinations obligatoires, ou un certificat du médecin.",
        "mandatory": True,
        "holder": DocumentType.Holder.CHILD,
        "validity": DocumentType.Validity.NONE,
        "formats": ["pdf", "jpeg", "png"],
        "order": 50,
    },
]


def demo_pdf(title: str) -> bytes:
    """A one-page PDF that says what it stands for."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 40 760 Td (Document de demonstration : " + text + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(name), content_type="application/pdf")


def _types_load(collectivity, agent) -> dict[str, DocumentType]:
    types = {}
    for spec in TYPES:
        existing = DocumentType.objects.filter(collectivity=collectivity, name=spec["name"]).first()
        values = {"active": True, **spec}
        if existing is None:
            types[spec["name"]] = document_type_create(
                collectivity=collectivity, by=agent, **values
            )
        else:
            types[spec["name"]] = document_type_update(document_type=existing, by=agent, **values)
    return types


def _family_documents(family, types, agent, user, *, all_states: bool) -> None:
    today = datetime.date.today()
    insurance = document_upload(
        family=family,
        document_type=types[TYPES[0]["name"]],
        uploads=[_upload("attestation-assurance.pdf")],
        by=user,
    )
    document_accept(document=insurance, by=agent, document_date=today - datetime.timedelta(days=40))
    children = list(family.children.order_by("birth_date", "pk"))
    if children and not all_states:
        vaccines = document_upload(
            family=family,
            document_type=types[TYPES[4]["name"]],
            child=children[0],
            uploads=[_upload("vaccins-page-1.pdf"), _upload("vaccins-page-2.pdf")],
            by=user,
        )
        document_accept(document=vaccines, by=agent)
    if not all_states:
        return
    if children:  # the youngest's vaccinations « Transmis », the eldest's « A compléter »
        vaccines = document_upload(
            family=family,
            document_type=types[TYPES[4]["name"]],
            child=children[-1],
            uploads=[_upload("vaccins-page-1.pdf"), _upload("vaccins-page-2.pdf")],
            by=user,
        )
        document_accept(document=vaccines, by=agent)
    address = document_upload(
        family=family,
        document_type=types[TYPES[1]["name"]],
        uploads=[_upload("facture-electricite.pdf")],
        by=user,
    )
    document_accept(document=address, by=agent, document_date=today - datetime.timedelta(days=200))
    document_upload(
        family=family,
        document_type=types[TYPES[2]["name"]],
        uploads=[_upload("avis-imposition-2026.pdf")],
        by=user,
    )
    caf = document_upload(
        family=family,
        document_type=types[TYPES[3]["name"]],
        uploads=[_upload("attestation-caf.pdf")],
        by=user,
    )
    document_refuse(
        document=caf,
        by=agent,
        reason="Cette attestation date de 2024 : envoyez celle de cette année (espace "
        "« Mon compte » du site de la CAF).",
    )


def load(context):
    loaded = []
    for key, collectivity in context.collectivities.items():
        if not collectivity.module_documents:
            collectivity.module_documents = True
            collectivity.save(update_fields=["module_documents"])
        agent = (
            Membership.objects.filter(collectivity=collectivity, role=Membership.Role.AGENT)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        families = list(
            Family.objects.filter(
                collectivity=collectivity, external_ref__startswith="DEMO-"
            ).order_by("external_ref")
        )
        if agent is None or not families:
            continue
        types = _types_load(collectivity, agent.user)
        loaded_before = set(
            SupportingDocument.objects.filter(family__in=families).values_list(
                "family_id", flat=True
            )
        )
        # Every demo family has its insurance (it blocks new pre-enrolments while missing).
        for index, family in enumerate(families):
            if family.pk in loaded_before:
                continue
            subscription = family.subscriptions.select_related("user").order_by("pk").first()
            user = subscription.user if subscription else None
            _family_documents(family, types, agent.user, user, all_states=index == 0)
        documents_expire(today=datetime.date.today())
        loaded.append(key)
    if loaded:
        context.notes.append(
            "\nPièces justificatives : module activé, cinq types de documents ; parent1@… voit "
            "les cinq états (Espace famille → Pièces justificatives), les agents valident dans "
            "Pièces justificatives → Pièces à valider. Antivirus désactivé dans la démo."
        )
