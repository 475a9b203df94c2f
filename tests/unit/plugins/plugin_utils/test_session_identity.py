# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One session process per set of connection settings: the socket names and the run's key."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from ansible.playbook.play_context import PlayContext

from ansible_collections.mailflow.exchange.plugins.plugin_utils import exchange_session, session_identity
from ansible_collections.mailflow.exchange.plugins.plugin_utils.session_identity import (
    remove_run_key,
    run_key,
    settings_tag,
)

PLAYBOOK_PID = "4242"
TENANT_A = {"tenant": "contoso.onmicrosoft.com", "client_id": "app-1", "client_secret": "Hunter2-Secret",
            "exchange_url": None, "authority_url": None}


def test_the_run_key_is_private_and_the_same_for_every_task(tmp_path):
    first = run_key(str(tmp_path), PLAYBOOK_PID)
    assert run_key(str(tmp_path), PLAYBOOK_PID) == first
    assert len(first) == session_identity.KEY_BYTES
    mode = os.stat(session_identity.key_path(str(tmp_path), PLAYBOOK_PID)).st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert run_key(str(tmp_path), "4243") != first
    remove_run_key(str(tmp_path), PLAYBOOK_PID)
    assert not os.path.exists(session_identity.key_path(str(tmp_path), PLAYBOOK_PID))
    assert os.listdir(str(tmp_path)) == [os.path.basename(session_identity.key_path(str(tmp_path), "4243"))]


def test_tasks_creating_the_key_at_once_agree_on_it(tmp_path):
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(run_key(str(tmp_path), PLAYBOOK_PID))) for _thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


@pytest.mark.parametrize("change", [
    {"tenant": "fabrikam.onmicrosoft.com"},
    {"client_id": "app-2"},
    {"client_secret": "another secret"},
    {"exchange_url": "https://outlook.office365.us"},
    {"authority_url": "https://login.microsoftonline.us"},
])
def test_any_other_setting_is_another_session(change):
    key = b"k" * session_identity.KEY_BYTES
    assert settings_tag(key, dict(TENANT_A, **change)) != settings_tag(key, TENANT_A)
    assert settings_tag(key, dict(TENANT_A)) == settings_tag(key, TENANT_A)


def test_the_tag_tells_nothing_without_the_run_key():
    tag = settings_tag(b"a" * session_identity.KEY_BYTES, TENANT_A)
    assert "Hunter2" not in tag
    # Another run (another key) cannot recompute it from guessed settings.
    assert settings_tag(b"b" * session_identity.KEY_BYTES, TENANT_A) != tag


class SettingsSession(exchange_session.ExchangeSession):
    kind = "test"
    transport = "test"

    def __init__(self, settings):
        context = PlayContext()
        context.remote_addr, context.remote_user, context.connection = "exo-api", None, "mailflow.exchange.test"
        super().__init__(context, ansible_playbook_pid=PLAYBOOK_PID)
        self.settings = settings

    def _settings(self):
        return self.settings


@pytest.fixture
def control_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(exchange_session.C, "PERSISTENT_CONTROL_PATH_DIR", str(tmp_path))
    return tmp_path


def _socket(settings):
    session = SettingsSession(settings)
    return exchange_session._control_socket_path(session._session_context(), PLAYBOOK_PID)


def test_hosts_sharing_an_address_get_their_own_socket(control_dir):
    tenant_b = dict(TENANT_A, tenant="fabrikam.onmicrosoft.com")
    assert _socket(TENANT_A) != _socket(tenant_b)
    assert _socket(TENANT_A) == _socket(dict(TENANT_A))
    assert os.path.dirname(_socket(TENANT_A)) == str(control_dir)


def test_the_play_context_of_the_task_is_left_alone(control_dir):
    session = SettingsSession(TENANT_A)
    context = session._session_context()
    assert session._play_context.remote_user is None
    assert context.remote_user.endswith(settings_tag(run_key(str(control_dir), PLAYBOOK_PID), TENANT_A))
    assert context.remote_addr == "exo-api" and context.connection == "mailflow.exchange.test"
