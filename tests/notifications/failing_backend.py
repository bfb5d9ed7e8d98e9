"""Test e-mail backends that fail the ways a mail server does (the settings name them by path)."""

import smtplib
import threading

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionError("SMTP indisponible")


class ScriptedBackend(LocmemBackend):
    """Raises the errors of ``ScriptedBackend.errors`` one per send, in order, then delivers
    to ``mail.outbox`` like locmem. Tests set ``errors`` (class-wide: Django builds a new
    backend per message)."""

    errors: list[Exception] = []

    def send_messages(self, email_messages):
        if ScriptedBackend.errors:
            raise ScriptedBackend.errors.pop(0)
        return super().send_messages(email_messages)


def disconnected():
    return smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")


def refused_for_good():
    return smtplib.SMTPResponseException(550, b"5.1.1 Mailbox unavailable")


def busy():
    return smtplib.SMTPResponseException(451, b"4.3.0 Try again later")


class BlockingBackend(LocmemBackend):
    """Blocks in ``send_messages`` until ``release`` is set, after announcing ``entered``: the
    test writes to the database while a send is in flight."""

    entered = threading.Event()
    release = threading.Event()

    def send_messages(self, email_messages):
        BlockingBackend.entered.set()
        if not BlockingBackend.release.wait(timeout=30):
            raise TimeoutError("test never released the send")
        return super().send_messages(email_messages)
