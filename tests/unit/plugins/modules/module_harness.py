# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a module's main() against a fake client: its decisions without a playbook or a lab.

The fake answers each cmdlet from a handler and records what it was sent; the lab stays the
integration truth (tests/integration), this only pins the module's own logic.
"""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args
from ansible.module_utils import _internal as ansible_internal

from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import is_read
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._online.module import OnlineModule

ONPREM_OPTIONS = dict(host="exchange.test", auth="ntlm", username="CONTOSO\\admin", password="secret")


class FakeClient:
    """invoke()/invoke_pipeline() of a client; ``handler(cmdlet, parameters)`` gives the objects."""

    def __init__(self, handler):
        self.handler = handler
        self.sent = []
        self.applied = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def invoke(self, cmdlet, parameters=None):
        return self.invoke_pipeline([(cmdlet, parameters or {})])

    def invoke_pipeline(self, commands):
        result = []
        for cmdlet, parameters in commands:
            self.sent.append((cmdlet, dict(parameters)))
            result = self.handler(cmdlet, dict(parameters))
            if not is_read(cmdlet):
                self.applied.append({"cmdlet": cmdlet})
        return result

    @property
    def writes(self):
        return [(cmdlet, parameters) for cmdlet, parameters in self.sent if not is_read(cmdlet)]


@pytest.fixture(autouse=True)
def module_process(monkeypatch):
    """What a module's own process has: no controller code loaded, no warnings yet."""
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    monkeypatch.setattr(ansible_warnings, "_global_deprecations", {})


@pytest.fixture
def fake(monkeypatch):
    """``fake(handler)``: every module of the test talks to a FakeClient answering with ``handler``."""
    def install(handler):
        client = FakeClient(handler)
        for base in (OnPremModule, OnlineModule):
            monkeypatch.setattr(base, "check_connection", lambda self: None)
            monkeypatch.setattr(base, "direct_client", lambda self: client)
        return client

    return install


def run_module(capsys, module, args):
    """Run ``module``'s main() with ``args`` as Ansible would; its JSON result."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def warnings_of(result):
    """Warning texts; ansible-core 2.19 reports each as a summary object with the text in event.msg."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
