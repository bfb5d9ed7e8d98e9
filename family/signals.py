"""Reactions of the family app to account events, and the signals it sends.

``family_created(sender, request, family, children)`` is sent inside the transaction of
``creation_accept`` (the family-space creation form accepted by an agent): ``request`` is the
``FamilyCreationRequest``, ``children`` the new ``Child`` rows in the order of its
``data["children"]``. Later apps (planning) react to it; the family app never imports them.
"""

from django.dispatch import Signal, receiver

from allauth.account.signals import email_confirmed

family_created = Signal()


@receiver(email_confirmed)
def apply_signup_codes(sender, request, email_address, **kwargs):
    """A code given at sign-up links the family as soon as the address is confirmed."""
    from .services.subscriptions import signup_codes_apply  # services send family_created

    signup_codes_apply(user=email_address.user)
