"""Shared pieces of the kmipd interop scenarios: target settings, versions, the scenario registry.

A scenario is one pytest test in ``test_*.py`` decorated with :func:`scenario`, which records the
issue it proves and the first KMIP version that has the operations it uses. Each scenario runs
once per selected client KMIP version (see :func:`selected_versions`); versions older than
``since`` are reported as skipped with a reason.
"""

import os
from dataclasses import dataclass

import pytest
from kmip.core import enums

#: Every protocol version PyKMIP 0.10's client can speak, oldest first.
ALL_VERSIONS = tuple(enums.KMIPVersion)


def version_id(version):
    """``KMIPVersion.KMIP_1_4`` -> ``"1.4"`` (used in test ids and messages)."""
    return "%.1f" % version.value


def parse_version(text):
    for member in ALL_VERSIONS:
        if text.strip() in (member.name, version_id(member)):
            return member
    raise pytest.UsageError("unknown KMIP version %r; PyKMIP supports %s"
                            % (text, ", ".join(version_id(v) for v in ALL_VERSIONS)))


def selected_versions():
    """Versions to run: ``KMIP_VERSION`` (comma-separated) if set, else all of ALL_VERSIONS."""
    text = os.environ.get("KMIP_VERSION", "").strip()
    if not text:
        return ALL_VERSIONS
    return tuple(parse_version(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Target:
    """Where the server under test is and how to authenticate to it (mutual TLS)."""
    host: str
    port: int
    ca: str
    cert: str
    key: str

    @classmethod
    def from_env(cls):
        names = ("KMIP_HOST", "KMIP_PORT", "KMIP_CA", "KMIP_CERT", "KMIP_KEY")
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError("set %s (server address and client PKI)" % ", ".join(missing))
        for name in names[2:]:
            if not os.access(os.environ[name], os.R_OK):
                raise pytest.UsageError("%s=%s is not readable" % (name, os.environ[name]))
        try:
            port = int(os.environ["KMIP_PORT"])
        except ValueError:
            raise pytest.UsageError("KMIP_PORT must be a number")
        return cls(os.environ["KMIP_HOST"], port, os.environ["KMIP_CA"],
                   os.environ["KMIP_CERT"], os.environ["KMIP_KEY"])


def scenario(issue, since=enums.KMIPVersion.KMIP_1_0, until=None, why=None):
    """Mark a test as an interop scenario proving ``issue``, valid from KMIP version ``since``
    (and up to ``until`` if given, ``why`` saying why later versions cannot express it).

    >>> @scenario(issue="Server core", since=enums.KMIPVersion.KMIP_1_1)
    ... def test_discover_versions(proxy, kmip_version): ...
    """
    def mark(fn):
        fn = pytest.mark.issue(issue)(fn)
        if until is not None:
            fn = pytest.mark.until(until, why or "not expressible after KMIP %s" % version_id(until))(fn)
        return pytest.mark.since(since)(fn)
    return mark


def expect_failure(call, reason, status=enums.ResultStatus.OPERATION_FAILED):
    """Run ``call()`` and assert it fails with this KMIP result status and reason.

    ``reason`` is one ``ResultReason`` or a tuple of the ones the specification allows here.
    Works for the pie client (raises ``KmipOperationFailure``), ``KMIPProxy.send_request_payload``
    (raises ``OperationFailure``) and the other ``KMIPProxy`` calls (results returned, not raised).
    Returns ``(reason, message)`` for further checks.
    """
    allowed = reason if isinstance(reason, tuple) else (reason,)
    names = " or ".join(r.name for r in allowed)
    from kmip.core.exceptions import OperationFailure
    from kmip.pie.exceptions import KmipOperationFailure
    try:
        result = call()
    except (KmipOperationFailure, OperationFailure) as exc:
        # The pie client raises the first, KMIPProxy.send_request_payload the second.
        got_status, got_reason = exc.status, exc.reason
        message = getattr(exc, "message", str(exc))
    else:
        if not hasattr(result, "result_status"):
            pytest.fail("expected %s/%s, but the operation succeeded" % (status.name, names))
        got_status = result.result_status.value
        got_reason = result.result_reason.value if result.result_reason else None
        message = result.result_message.value if result.result_message else None
    assert got_status == status and got_reason in allowed, \
        "expected %s/%s, got %s/%s (%s)" % (status.name, names, got_status, got_reason, message)
    return got_reason, message
