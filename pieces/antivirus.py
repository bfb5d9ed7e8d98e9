"""The antivirus check through clamd (``clamav-client``), switched on by configuration.

``PORTAL_CLAMD`` (from the environment, see the settings): ``None`` when no scanner is set
(the default, and the demo's) — files are then clean as soon as they pass the content checks —
or ``{"socket": path}`` / ``{"host": ..., "port": ...}`` with a ``timeout``. The file is
streamed with clamd's ``INSTREAM`` command.

``scan_bytes`` answers CLEAN or INFECTED (with the signature's name), or raises
``ScannerUnavailable`` when clamd cannot be reached or answers something else: the caller keeps
the file waiting (fails closed) and tries again later.
"""

import io

from django.conf import settings

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket


class ScannerUnavailable(Exception):
    pass


def scanner_enabled() -> bool:
    return bool(getattr(settings, "PORTAL_CLAMD", None))


def _client():
    config = settings.PORTAL_CLAMD
    timeout = config.get("timeout", 30)
    if config.get("socket"):
        return ClamdUnixSocket(path=config["socket"], timeout=timeout)
    return ClamdNetworkSocket(
        host=config.get("host", "127.0.0.1"), port=int(config.get("port", 3310)), timeout=timeout
    )


def scan_bytes(data: bytes) -> tuple[bool, str]:
    """(clean, signature): ``(True, "")`` or ``(False, "Eicar-Signature")``."""
    try:
        result = _client().instream(io.BytesIO(data))
    except (ClamdError, OSError) as error:
        raise ScannerUnavailable(str(error)) from error
    status, reason = next(iter(result.values()), (None, None))
    if status == "OK":
        return True, ""
    if status == "FOUND":
        return False, str(reason or "")
    raise ScannerUnavailable(f"unexpected answer: {result!r}")
