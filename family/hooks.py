"""What apps above family add to it, without family importing them (``pieces`` registers its
providers in ``PiecesConfig.ready()``): attachments of a dossier change request, and what blocks
a new pre-enrolment (``planning`` asks ``enrolment_blockers``).

A **change attachment** provider answers three questions:

- ``form_fields(*, family, target) -> dict[str, forms.Field]``: the extra fields of the
  parent's edit form for that part of the dossier (the fiscal data's supporting document);
- ``attach(*, change_request, data, by)``: called inside ``change_request_submit``'s
  transaction with the cleaned values of those fields; raising ``DossierError`` refuses the
  whole request (nothing is written);
- ``describe(*, change_request) -> list[dict]``: what the agent sees beside « ancien →
  nouveau »: ``{"title", "state", "url", "files": [{"name", "inline_url", "download_url",
  "ready"}]}``.
"""

_attachments: list = []


def change_attachment_register(provider) -> None:
    if provider not in _attachments:
        _attachments.append(provider)


def change_attachment_fields(*, family, target) -> dict:
    fields = {}
    for provider in _attachments:
        fields.update(provider.form_fields(family=family, target=target))
    return fields


def change_attachments_attach(*, change_request, data: dict, by) -> None:
    for provider in _attachments:
        provider.attach(change_request=change_request, data=data, by=by)


def change_attachments_describe(*, change_request) -> list[dict]:
    return [
        item
        for provider in _attachments
        for item in provider.describe(change_request=change_request)
    ]


# --- Pre-enrolment blockers: ``blocker(*, child, activity) -> list[str]`` names what the child's
# family must provide before a new pre-enrolment (pieces: its missing mandatory documents).
_enrolment_blockers: list = []


def enrolment_blocker_register(blocker) -> None:
    if blocker not in _enrolment_blockers:
        _enrolment_blockers.append(blocker)


def enrolment_blockers(*, child, activity) -> list[str]:
    return [
        name for blocker in _enrolment_blockers for name in blocker(child=child, activity=activity)
    ]
