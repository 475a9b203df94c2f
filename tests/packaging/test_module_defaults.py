# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action groups and role argument specs, run from the installed collection against the lab:
group/mailflow.exchange.onprem and group/mailflow.exchange.online defaults reach the modules (no task
option, no EXCHANGE_*/EXO_* variable), and bad role input fails before anything is written."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import clean_environment, lab_stats, run_playbook


def base_url(url):
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc)


def test_module_defaults_playbook_reaches_every_module(tmp_path, installed_collection, lab):
    psrp, online = lab['psrp'], lab['online']
    settings = tmp_path / 'settings.yml'
    settings.write_text(yaml.safe_dump({
        'exchange_host': psrp['host'], 'exchange_port': psrp['port'], 'exchange_auth': psrp['auth'],
        'exchange_username': psrp['username'], 'exchange_password': psrp['password'],
        'exo_tenant': online['tenant_id'], 'exo_client_id': online['client_id'],
        'exo_certificate': online['certificate'], 'exo_private_key': online['private_key'],
        'exo_authority_url': base_url(online['authority']), 'exo_exchange_url': base_url(online['rest_base_url']),
        'exo_allow_custom_endpoints': True, 'exo_ca_path': online['ca_path'],
    }), encoding='utf-8')
    pipelines, tokens = lab_stats(lab)['pipelines'], lab_stats(lab)['token_requests']
    result = run_playbook(['mailflow.exchange.module_defaults', '-e', '@%s' % settings],
                          env=clean_environment(installed_collection), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert re.search(r'on-premises connectors: \S', result.stdout)
    assert re.search(r'accepted domains: \S', result.stdout)
    assert 'inbound connectors: ' in result.stdout
    assert lab_stats(lab)['pipelines'] > pipelines
    assert lab_stats(lab)['token_requests'] > tokens


def write_play(tmp_path, role, role_vars):
    playbook = tmp_path / 'bad_input.yml'
    playbook.write_text(yaml.safe_dump([{
        'name': 'Bad role input', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'roles': [dict(role='mailflow.exchange.' + role, **role_vars)],
    }]), encoding='utf-8')
    return playbook


@pytest.mark.parametrize('role, role_vars, option', [
    ('onprem_relay', {'onprem_relay_servers': ['WIN-CTD3L0RGEN4'], 'onprem_relay_style': 'open'},
     'onprem_relay_style'),
    ('onprem_relay', {'onprem_relay_style': 'anonymous', 'onprem_relay_devices': ['10.1.2.3']},
     'onprem_relay_servers'),
    ('onprem_relay', {'onprem_relay_servers': 'WIN-CTD3L0RGEN4', 'onprem_relay_devices': ['10.1.2.3'],
                      'onprem_relay_max_range_addresses': 'many'}, 'onprem_relay_max_range_addresses'),
    ('online_relay', {'online_relay_style': 'everyone'}, 'online_relay_style'),
])
def test_bad_role_input_fails_before_any_task_naming_the_option(tmp_path, installed_collection, lab,
                                                               role, role_vars, option):
    env = clean_environment(installed_collection, **lab['env'])
    before = lab_stats(lab)
    result = run_playbook([str(write_play(tmp_path, role, role_vars))], env=env, cwd=tmp_path)
    assert result.returncode != 0
    # The role's argument spec check is the first task, and the only one that ran.
    assert re.search(r"TASK \[mailflow\.exchange\.%s : Validating arguments against arg spec 'main'" % role,
                     result.stdout), result.stdout[-3000:]
    assert re.search(r'ok=0\s+changed=0\s+unreachable=0\s+failed=1', result.stdout), result.stdout[-3000:]
    errors = re.search(r'"argument_errors": \[([^\]]*)\]', result.stdout)
    assert errors and option in errors.group(1), result.stdout[-3000:]
    after = lab_stats(lab)
    assert (after['pipelines'], after['write_calls']) == (before['pipelines'], before['write_calls'])
