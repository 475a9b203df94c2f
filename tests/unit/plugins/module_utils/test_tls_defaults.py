# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS validation is on unless an option turns it off, for every way the collection connects out.

The integration target tls_validation proves the same against the lab's untrusted certificates.
"""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._online import auth as online_auth
from ansible_collections.mailflow.exchange.plugins.module_utils._online.client import ONLINE_CONNECTION_SPEC
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import ONPREM_CONNECTION_SPEC
from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.tls import client_context
from ansible_collections.mailflow.exchange.plugins.modules.smtp_relay_test import ARGUMENT_SPEC as SMTP_SPEC


@pytest.mark.parametrize("spec", [ONPREM_CONNECTION_SPEC, ONLINE_CONNECTION_SPEC, SMTP_SPEC],
                         ids=["wsman", "exchange-online", "smtp"])
def test_validate_certs_defaults_to_true(spec):
    assert spec["validate_certs"]["type"] == "bool"
    assert spec["validate_certs"]["default"] is True


def test_smtp_default_context_verifies_the_certificate_and_the_name():
    context = client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_smtp_context_without_validation_is_explicit():
    context = client_context(validate_certs=False)
    assert context.verify_mode == ssl.CERT_NONE


def test_http_session_verifies_by_default_and_ignores_the_environment_for_a_ca_file(tmp_path):
    assert online_auth.http_session(True, None, 5).verify is True
    ca_file = str(tmp_path / "ca.pem")
    session = online_auth.http_session(True, ca_file, 5)
    # REQUESTS_CA_BUNDLE must not replace the CA the user named.
    assert session.verify == ca_file and session.trust_env is False
    assert online_auth.http_session(False, None, 5).verify is False
