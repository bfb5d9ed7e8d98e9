"""Régies: created and changed by the collectivity's agents (never deleted: invoices name them;
an unused one is switched off)."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Invoice, Regie
from .invoices import BillingError

FIELDS = (
    "code",
    "name",
    "address",
    "online_backend",
    "payfip_numcli",
    "payfip_saisie",
    "creditor_identifier",
    "creditor_iban",
    "creditor_bic",
    "is_active",
)


@transaction.atomic
def regie_save(*, collectivity, values: dict, regie: Regie | None = None) -> Regie:
    """Create a régie of ``collectivity`` (``regie`` None) or change one of its own. The code
    is unique in the collectivity and, once the régie has issued invoices, fixed (it is in
    their numbers)."""
    if regie is not None and regie.collectivity_id != collectivity.pk:
        raise BillingError(_("Cette régie n’appartient pas à votre collectivité."))
    code = values["code"]
    others = Regie.objects.filter(collectivity=collectivity, code=code)
    if regie is not None:
        others = others.exclude(pk=regie.pk)
    clash = others.first()
    if clash is not None:
        raise BillingError(
            _("Le code %(code)s est déjà celui de la régie « %(name)s ».")
            % {"code": code, "name": clash.name}
        )
    if regie is None:
        regie = Regie(collectivity=collectivity)
    elif code != regie.code and Invoice.objects.filter(regie=regie).exists():
        raise BillingError(
            _(
                "Cette régie a déjà émis des factures numérotées avec le code %(code)s : "
                "son code ne peut plus changer."
            )
            % {"code": regie.code}
        )
    for name in FIELDS:
        if name in values:
            setattr(regie, name, values[name])
    if regie.online_backend in (Regie.Backend.PAYFIP, Regie.Backend.TIPI) and not (
        regie.payfip_numcli
    ):
        raise BillingError(_("Indiquez le numéro client PayFiP (numcli) de la régie."))
    regie.save()
    return regie
