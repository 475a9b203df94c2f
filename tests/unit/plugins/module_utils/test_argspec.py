# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merged connection options: an empty environment variable counts as unset (AWX injects empty ones)."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import onprem_argument_spec
from ansible_collections.mailflow.exchange.plugins.module_utils._online.client import online_argument_spec


def validated(spec, **params):
    result = ArgumentSpecValidator(spec).validate(params)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_empty_onprem_variables_are_unset(monkeypatch):
    monkeypatch.setenv("EXCHANGE_HOST", "mail1.contoso.com")
    for name in ("EXCHANGE_PORT", "EXCHANGE_CA_PATH", "EXCHANGE_USE_SSL"):
        monkeypatch.setenv(name, "")
    params = validated(onprem_argument_spec({}))
    assert params["host"] == "mail1.contoso.com"
    assert params["port"] is None
    assert params["ca_path"] is None
    assert params["use_ssl"] is False


def test_empty_online_variables_are_unset(monkeypatch):
    monkeypatch.setenv("EXO_TENANT", "contoso.onmicrosoft.com")
    monkeypatch.setenv("EXO_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    for name in ("EXO_AUTHORITY_URL", "EXO_EXCHANGE_URL", "EXO_PFX", "EXO_PFX_PASSWORD"):
        monkeypatch.setenv(name, "")
    params = validated(online_argument_spec({}))
    assert (params["authority_url"], params["exchange_url"], params["pfx"], params["pfx_password"]) == (
        None, None, None, None)


def test_an_explicit_option_still_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("EXCHANGE_HOST", "from-env.contoso.com")
    assert validated(onprem_argument_spec({}), host="mail2.contoso.com")["host"] == "mail2.contoso.com"


def test_a_set_variable_is_used(monkeypatch):
    monkeypatch.setenv("EXCHANGE_HOST", "mail1.contoso.com")
    monkeypatch.setenv("EXCHANGE_PORT", "5985")
    assert validated(onprem_argument_spec({}))["port"] == 5985


def test_module_options_clashing_with_connection_options_are_refused():
    with pytest.raises(ValueError, match="host"):
        onprem_argument_spec({"host": {"type": "str"}})
