"""Writes of the family app. Each public function runs in one transaction with its timeline
event and e-mail, and raises a ``portal.errors.DomainError`` subclass when it refuses.

- ``subscriptions``: subscriber codes, subscriptions, codes given at sign-up;
- ``changes``: dossier change requests (submit, accept, refuse, cancel, bulk decisions);
- ``creation``: the family-space creation form (draft, steps, submit, accept, refuse);
- ``authorizations``: the collectivity's authorisation types;
- ``health``: the health-data access log;
- ``imports``: families imported from a CSV file;
- ``letters``: the subscriber-code letters (PDF);
- ``quotients``: the family quotient's periods of validity.
"""

from .subscriptions import (  # noqa: I001 -- subscriptions first: the others build on it
    CODE_ALPHABET,
    CODE_LENGTH,
    SubscriptionError,
    family_code_regenerate,
    family_code_revoke,
    signup_code_record,
    signup_codes_apply,
    subscriber_code_lookup,
    subscriber_code_normalize,
    subscription_create,
    subscription_unlink,
)
from .authorizations import (
    authorization_type_create,
    authorization_type_deactivate,
    authorization_type_update,
)
from .changes import (
    DossierError,
    change_request_accept,
    change_request_cancel,
    change_request_refuse,
    change_request_submit,
    changes_decide_bulk,
)
from .creation import (
    CreationError,
    creation_accept,
    creation_cancel,
    creation_draft_get,
    creation_refuse,
    creation_step_save,
    creation_submit,
    enrolment_choices_provider_register,
)
from .health import health_access_record
from .imports import FamilyImportError, families_import_csv, families_import_parse
from .letters import letters_codes_ensure, letters_pdf
from .quotients import QuotientError, quotient_set

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CreationError",
    "DossierError",
    "FamilyImportError",
    "QuotientError",
    "SubscriptionError",
    "authorization_type_create",
    "authorization_type_deactivate",
    "authorization_type_update",
    "change_request_accept",
    "change_request_cancel",
    "change_request_refuse",
    "change_request_submit",
    "changes_decide_bulk",
    "creation_accept",
    "creation_cancel",
    "creation_draft_get",
    "creation_refuse",
    "creation_step_save",
    "creation_submit",
    "enrolment_choices_provider_register",
    "families_import_csv",
    "families_import_parse",
    "family_code_regenerate",
    "family_code_revoke",
    "health_access_record",
    "letters_codes_ensure",
    "letters_pdf",
    "quotient_set",
    "signup_code_record",
    "signup_codes_apply",
    "subscriber_code_lookup",
    "subscriber_code_normalize",
    "subscription_create",
    "subscription_unlink",
]
