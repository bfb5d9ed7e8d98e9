"""The one module that speaks to eopayment (Entr'ouvert's payment library).

It builds an ``eopayment.Payment`` from a régie's settings, asks for a payment, reads what the
provider answers and says, per backend, where the amount and the reference are in that
answer (so ``billing.services.online`` can check them against the transaction). The three
backends a régie may use:

- ``payfip_ws`` (PayFiP, the DGFiP's web service): ``numcli`` and ``saisie`` T/X/W; the return
  and notification URLs are options of the backend, hence one ``Payment`` per transaction;
  ``request()`` asks PayFiP for an ``idop`` (the provider's id); ``response()`` and
  ``payment_status()`` fetch the result from PayFiP's web service (amount in cents,
  ``refdet``);
- ``tipi`` (the older PayFiP form): same settings, production is ``A`` there instead of ``W``;
  the provider's id is the ``refdet``;
- ``dummy`` (demonstration and tests only, when ``PORTAL_PAYMENT_SIMULATOR`` is on): eopayment
  3.15 sends the browser to ``dummy.SERVICE_URL`` whatever its ``dummy_service_url`` option
  says, so the query string it builds is re-addressed to the project's simulator
  (``billing/views/simulator.py``), which answers with the same fields the dummy's
  ``response()`` parses (``transaction_id``, ``signed``, ``ok``/``reason``, and our
  ``amount``/``orderid`` echoed back).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

import eopayment
from eopayment import dummy as eopayment_dummy

logger = logging.getLogger("billing.online")

# eopayment's result codes → PaymentTransaction.Status values.
RESULTS = {
    eopayment.PAID: "paid",
    eopayment.DENIED: "denied",
    eopayment.CANCELLED: "cancelled",
    eopayment.EXPIRED: "expired",
    eopayment.WAITING: "waiting",
    eopayment.RECEIVED: "waiting",
    # Authorised but not captured: not money yet.
    eopayment.ACCEPTED: "waiting",
    eopayment.ERROR: "error",
}
# The dummy backend only knows paid / waiting / error: the simulator tells a refusal from an
# abandon in ``reason``, which the dummy hands back as ``bank_status``.
DUMMY_REASONS = {"denied": "denied", "cancelled": "cancelled"}


class ProviderError(Exception):
    """The provider could not be reached or refused the request (logged, never shown)."""


@dataclass(frozen=True)
class Answer:
    """What one answer of the provider says, as the transaction is checked against it."""

    status: str
    signed: bool
    provider_id: str
    amount: Decimal | None
    reference: str | None
    content: str | None  # what to send back to the provider, when it expects something
    data: dict  # everything received, for the transaction's history


def simulator_enabled() -> bool:
    return bool(getattr(settings, "PORTAL_PAYMENT_SIMULATOR", False))


def backend_available(regie) -> bool:
    """A régie offers online payment when it has a backend; the dummy one only where the
    simulator exists (otherwise anyone could « pay » through eopayment's public dummy)."""
    if regie.online_backend == "dummy":
        return simulator_enabled()
    return regie.online_backend in ("payfip_ws", "tipi") and bool(regie.payfip_numcli)


def _options(regie, *, return_url: str = "", notify_url: str = "") -> dict:
    kind = regie.online_backend
    options = {"normal_return_url": return_url, "automatic_return_url": notify_url}
    if kind == "dummy":
        options.update(origin=regie.name, dummy_service_url=_simulator_url())
    else:
        saisie = regie.payfip_saisie or "T"
        if kind == "tipi" and saisie == "W":
            saisie = "A"  # TIPI's name for production
        options.update(numcli=regie.payfip_numcli, saisie=saisie)
    return options


def _simulator_url() -> str:
    return reverse("payment_simulator:index") if simulator_enabled() else ""


def backend(regie, **urls) -> eopayment.Payment:
    if not backend_available(regie):
        raise ProviderError(f"no online payment backend for régie {regie.pk}")
    return eopayment.Payment(regie.online_backend, _options(regie, **urls), logger=logger)


def payment_request(
    regie, *, amount: Decimal, email: str, reference: str, subject: str, return_url, notify_url
) -> tuple[str, str]:
    """Ask the provider for a payment: (the provider's id, the URL to send the browser to)."""
    payment = backend(regie, return_url=return_url, notify_url=notify_url)
    kwargs = {"email": email, "orderid": reference}
    if regie.online_backend in ("payfip_ws", "tipi"):
        kwargs = {"email": email, "refdet": reference}
        if regie.online_backend == "payfip_ws":
            kwargs["subject"] = subject
    else:
        kwargs["subject"] = subject
    try:
        provider_id, kind, url = payment.request(str(amount), **kwargs)
    except Exception as error:  # noqa: BLE001 - network, SOAP fault, refused value: all logged
        raise ProviderError(repr(error)) from error
    if kind != eopayment.URL:
        raise ProviderError(f"unsupported answer kind {kind}")
    if regie.online_backend == "dummy" and url.startswith(eopayment_dummy.SERVICE_URL):
        url = f"{_simulator_url()}?{urlsplit(url).query}"
    return str(provider_id), url


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _decimal(value, *, cents: bool) -> Decimal | None:
    try:
        amount = Decimal(str(_first(value)))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return (amount / 100).quantize(Decimal("0.01")) if cents else amount.quantize(Decimal("0.01"))


def _jsonable(data) -> dict:
    return {str(key): _plain(value) for key, value in dict(data or {}).items()}


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _answer(regie, response) -> Answer:
    status = RESULTS.get(response.result, "error")
    data = response.bank_data or {}
    if regie.online_backend == "dummy":
        reason = _first(response.bank_status) or ""
        if status == "error":
            status = DUMMY_REASONS.get(reason, "error")
        amount = _decimal(data.get("amount"), cents=False)
        reference = _first(data.get("orderid"))
        provider_id = response.order_id
    else:
        amount = _decimal(data.get("montant"), cents=True)
        reference = _first(data.get("refdet"))
        provider_id = response.order_id
    return Answer(
        status=status,
        signed=bool(response.signed),
        provider_id=str(provider_id or ""),
        amount=amount,
        reference=str(reference) if reference else None,
        content=response.return_content,
        data={
            "result": eopayment.STATUS_NAME.get(response.result, str(response.result)),
            "bank_status": _plain(response.bank_status),
            "transaction_id": _plain(response.transaction_id),
            "order_id": _plain(response.order_id),
            "test": bool(response.test),
            "bank_data": _jsonable(data),
        },
    )


def payment_response(regie, query_string: str) -> Answer:
    """Read a notification or a return (the urlencoded GET query or POST body)."""
    if regie.online_backend == "payfip_ws" and "idop=" not in query_string:
        # PayFiP posts ``idOp``; eopayment's ``response()`` reads ``idop``.
        query_string = query_string.replace("idOp=", "idop=")
    try:
        response = backend(regie).response(query_string)
    except Exception as error:  # noqa: BLE001 - malformed answer, PayFiP unreachable
        raise ProviderError(repr(error)) from error
    return _answer(regie, response)


def has_status_check(regie) -> bool:
    return backend_available(regie) and backend(regie).has_payment_status


def payment_status(regie, *, provider_id: str, created_at) -> Answer:
    """Ask the provider what became of a payment (PayFiP's web service only)."""
    try:
        response = backend(regie).payment_status(provider_id, transaction_date=created_at)
    except Exception as error:  # noqa: BLE001
        raise ProviderError(repr(error)) from error
    return _answer(regie, response)
