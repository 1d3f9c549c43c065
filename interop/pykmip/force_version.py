"""pytest plugin: make every PyKMIP client in the run speak one KMIP version.

PyKMIP's upstream integration tests build their clients without a ``kmip_version``
(``KMIPProxy(config=...)`` and ``ProxyKmipClient(config=...)``), so they always send KMIP 1.2.
Loaded with ``-p force_version`` (this directory on PYTHONPATH), this plugin wraps
``KMIPProxy.__init__`` so that a missing or ``None`` ``kmip_version`` becomes the version named
by the environment variable ``KMIP_VERSION`` ("1.0" ... "2.0"; default "1.2"). ``ProxyKmipClient``
builds its ``KMIPProxy`` with ``kmip_version=None`` unless told otherwise, so it is covered too.
An explicit version chosen by a test is left alone.
"""

import inspect
import os

import kmip
from kmip.core import enums
from kmip.services import kmip_client

DEFAULT_VERSION = "1.2"


def parse_version(text):
    """Map "1.4" (or "KMIP_1_4") to ``enums.KMIPVersion.KMIP_1_4``; raise ValueError otherwise."""
    text = (text or DEFAULT_VERSION).strip()
    for member in enums.KMIPVersion:
        if text in (member.name, "%.1f" % member.value):
            return member
    supported = ", ".join("%.1f" % m.value for m in enums.KMIPVersion)
    raise ValueError("KMIP_VERSION=%r is not one PyKMIP %s supports (%s)"
                     % (text, kmip.__version__, supported))


def forced_version():
    return parse_version(os.environ.get("KMIP_VERSION"))


_original_init = kmip_client.KMIPProxy.__init__
_signature = inspect.signature(_original_init)


def _init_with_forced_version(self, *args, **kwargs):
    bound = _signature.bind(self, *args, **kwargs)
    if bound.arguments.get("kmip_version") is None:
        bound.arguments["kmip_version"] = forced_version()
    _original_init(*bound.args, **bound.kwargs)


def pytest_configure(config):
    # Fail fast on a bad KMIP_VERSION rather than in the first fixture.
    forced_version()
    if kmip_client.KMIPProxy.__init__ is not _init_with_forced_version:
        kmip_client.KMIPProxy.__init__ = _init_with_forced_version


def pytest_report_header(config):
    return ["kmip client version forced to %.1f; kmip library %s from %s"
            % (forced_version().value, kmip.__version__, os.path.dirname(kmip.__file__))]
