"""Fixtures for the interop scenarios: one parametrisation per client KMIP version and
clients built from the KMIP_* environment (see harness.Target)."""

import os

import pytest
from kmip.pie.client import ProxyKmipClient
from kmip.services.kmip_client import KMIPProxy

import harness

# An empty config file: PyKMIP otherwise reads ~/.pykmip/pykmip.conf or /etc/pykmip/pykmip.conf
# and could silently pick up another server's settings for anything we leave unset.
NO_CONFIG = os.devnull


def pytest_configure(config):
    config.addinivalue_line("markers", "issue(name): the project issue a scenario proves")
    config.addinivalue_line("markers", "since(version): first KMIP version with the operations")
    config.addinivalue_line("markers", "until(version, why): last KMIP version the pattern exists in")


def pytest_generate_tests(metafunc):
    if "kmip_version" in metafunc.fixturenames:
        versions = harness.selected_versions()
        metafunc.parametrize("kmip_version", versions, ids=[harness.version_id(v) for v in versions])


@pytest.fixture(scope="session")
def target():
    try:
        return harness.Target.from_env()
    except pytest.UsageError as exc:
        # One clear message instead of the same error on every test.
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(autouse=True)
def _scenario_metadata(request, record_property):
    """Skip versions older than the scenario's ``since``; put issue and version in the report."""
    issue = request.node.get_closest_marker("issue")
    if issue:
        record_property("issue", issue.args[0])
    if "kmip_version" not in request.fixturenames:
        return
    version = request.getfixturevalue("kmip_version")
    record_property("kmip_version", harness.version_id(version))
    since = request.node.get_closest_marker("since")
    if since and version.value < since.args[0].value:
        pytest.skip("needs KMIP %s or later" % harness.version_id(since.args[0]))
    until = request.node.get_closest_marker("until")
    if until and version.value > until.args[0].value:
        pytest.skip("KMIP %s only up to %s: %s"
                    % (harness.version_id(version), harness.version_id(until.args[0]), until.args[1]))


@pytest.fixture
def client(target, kmip_version):
    """An open ``kmip.pie.client.ProxyKmipClient`` speaking ``kmip_version``."""
    c = ProxyKmipClient(hostname=target.host, port=target.port, cert=target.cert, key=target.key,
                        ca=target.ca, config_file=NO_CONFIG, kmip_version=kmip_version)
    c.open()
    yield c
    c.close()


@pytest.fixture
def proxy(target, kmip_version):
    """An open low-level ``KMIPProxy`` (for operations the pie client lacks, e.g. Query)."""
    p = KMIPProxy(host=target.host, port=target.port, certfile=target.cert, keyfile=target.key,
                  ca_certs=target.ca, config_file=NO_CONFIG, kmip_version=kmip_version)
    p.open()
    yield p
    p.close()


@pytest.fixture
def cleanup(client):
    """Register uids to destroy after the test even if it fails: ``cleanup(uid)``."""
    uids = []
    yield uids.append
    for uid in reversed(uids):
        try:
            client.destroy(uid)
        except Exception:  # already destroyed by the scenario, or the server is gone
            pass
