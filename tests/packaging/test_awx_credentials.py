# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential types shipped in extensions/awx/credential_types, run the way AWX runs a job:
injectors rendered into a private data directory (awx_injectors), ansible-runner starting the relay
playbooks of the installed collection against the lab, and no secret left in runner's artifacts."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import ansible_runner
import jinja2
import jinja2.meta
import pytest
import yaml

from awx_injectors import inject
from conftest import BIN, LEAKY_VARIABLES, REPO, lab_stats

TYPES_DIR = REPO / 'extensions' / 'awx' / 'credential_types'
ONPREM_TYPE = TYPES_DIR / 'exchange_onprem.yml'
ONLINE_TYPE = TYPES_DIR / 'exchange_online_certificate.yml'
# The lab's endpoints travel in a second, test-only credential (tests/packaging, never shipped).
LAB_ENDPOINTS_TYPE = Path(__file__).parent / 'lab_endpoints_credential.yml'
# What only a test service needs: never settable through a shipped credential type.
ENDPOINT_OVERRIDES = {'EXO_AUTHORITY_URL', 'EXO_EXCHANGE_URL', 'EXO_ALLOW_CUSTOM_ENDPOINTS'}
# The Kerberos options of the on-prem connection (contract K; module_utils/_onprem/kerberos.py).
KERBEROS_VARIABLES = {'EXCHANGE_KERBEROS_REALM', 'EXCHANGE_KERBEROS_KDC', 'EXCHANGE_KERBEROS_HOSTNAME'}
# Fields AWX knows for a custom credential type's input (AWX's CredentialTypeInputField).
FIELD_KEYS = {'id', 'type', 'label', 'help_text', 'secret', 'multiline', 'choices', 'format', 'ask_at_runtime'}
JOB_TIMEOUT = 600


def load(path):
    return yaml.safe_load(path.read_text(encoding='utf-8'))


def module_env_names(module_util):
    """The EXCHANGE_*/EXO_* fallbacks a module_utils file declares."""
    text = (REPO / 'plugins' / 'module_utils' / module_util).read_text(encoding='utf-8')
    return set(re.findall(r'"((?:EXCHANGE|EXO)_[A-Z_]+)"', text))


@pytest.mark.parametrize('path, known', [
    (ONPREM_TYPE, lambda: module_env_names('_onprem/client.py') | KERBEROS_VARIABLES),
    (ONLINE_TYPE, lambda: module_env_names('_online/client.py')),
])
def test_credential_type_is_a_valid_awx_definition(path, known):
    definition = load(path)
    fields = definition['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= FIELD_KEYS, field
        assert field['type'] in ('string', 'boolean') and field['label']
    assert set(definition['inputs']['required']) <= set(ids)
    for field in fields:  # anything that could hold a secret is marked secret (AWX encrypts and masks it)
        if re.search(r'password|private_key|pfx', field['id']):
            assert field.get('secret') is True, field['id']

    environment = jinja2.Environment()
    templates = list(definition['injectors']['env'].values()) + list(definition['injectors']['file'].values())
    used = set()
    for template in templates:
        used |= jinja2.meta.find_undeclared_variables(environment.parse(template))
    assert used - {'tower'} <= set(ids), used - {'tower'} - set(ids)
    assert set(definition['injectors']['env']) <= known(), set(definition['injectors']['env']) - known()


def test_shipped_credential_types_cannot_redirect_tokens():
    for path in TYPES_DIR.glob('*.yml'):
        definition = load(path)
        assert not ENDPOINT_OVERRIDES & set(definition['injectors']['env']), path.name
        assert not {'authority_url', 'exchange_url'} & {field['id'] for field in definition['inputs']['fields']}


def run_job(tmp_path, playbook, credentials, job_vars):
    """Start ansible-runner like AWX: injected env and files, the job's extra vars, the installed collection.

    Returns (runner, artifact_dir, injected_env)."""
    private_data_dir = tmp_path / 'job'
    private_data_dir.mkdir()
    env, args = {}, []
    for credential_type, inputs in credentials:
        injected_env, injected_args = inject(load(credential_type), inputs, str(private_data_dir))
        env.update(injected_env)
        args += injected_args
    job_vars_file = private_data_dir / 'env' / 'job_extra_vars.yml'
    job_vars_file.write_text(yaml.safe_dump(job_vars), encoding='utf-8')
    args += ['-e', '@%s' % job_vars_file]
    runner = ansible_runner.run(
        private_data_dir=str(private_data_dir), playbook=str(playbook), envvars=env, cmdline=' '.join(args),
        quiet=True, timeout=JOB_TIMEOUT,
        # AWX keeps the job's environment out of env/ files (settings AWX_RUNNER_OMIT_ENV_FILES).
        suppress_env_files=True)
    return runner, private_data_dir / 'artifacts' / runner.config.ident, env


def assert_no_secret_in_artifacts(artifact_dir, secrets):
    """Every secret is absent from runner's artifacts: events, stdout, status, facts.

    The one exception is runner's own `command` record of the process environment, which holds the
    injected variables by construction (AWX keeps it only in the job's private directory and deletes
    that with the job): there the secrets may appear only as environment values."""
    secrets = [secret for secret in secrets if secret]
    assert secrets
    checked = 0
    for path in Path(artifact_dir).rglob('*'):
        if not path.is_file():
            continue
        text = path.read_text(encoding='utf-8', errors='replace')
        if path.name == 'command' and path.parent == Path(artifact_dir):
            record = json.loads(text)
            text = json.dumps({'command': record['command'], 'cwd': record['cwd']})
        leaked = [secret[:4] + '...' for secret in secrets if secret in text]
        assert not leaked, '%s holds %s' % (path, leaked)
        checked += 1
    assert checked > 3


@pytest.fixture
def job_environment(monkeypatch, installed_collection):
    """The runner process starts from this environment: no settings from the developer's shell."""
    for name in list(os.environ):
        if name in LEAKY_VARIABLES or name.startswith(('EXCHANGE_', 'EXO_')):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PATH', '%s:%s' % (BIN, os.environ.get('PATH', '')))
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', str(installed_collection))
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH', 'false')
    monkeypatch.setenv('ANSIBLE_LOCALHOST_WARNING', 'false')
    monkeypatch.setenv('ANSIBLE_INVENTORY_UNPARSED_WARNING', 'false')
    return installed_collection / 'ansible_collections' / 'mailflow' / 'exchange'


def base_url(url):
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc)


def test_onprem_relay_job_with_the_onprem_credential(tmp_path, lab, job_environment):
    psrp = lab['psrp']
    server = 'WIN-CTD3L0RGEN4'
    connector = 'AWX RELAY ' + server
    inputs = {'host': psrp['host'], 'port': str(psrp['port']), 'username': psrp['username'],
              'password': psrp['password'], 'auth': psrp['auth']}
    job_vars = {
        'onprem_relay_style': 'anonymous',
        'onprem_relay_servers': [server],
        'onprem_relay_connector_prefix': 'AWX RELAY',
        'onprem_relay_devices': ['10.1.2.3'],
        # The relay connector's SMTP listener appears in lab.json once the role has created it.
        'onprem_relay_verify_endpoints': "{{ {'%s': ((lookup('ansible.builtin.file', '%s') | from_json).smtp"
                                         " | selectattr('connector', 'equalto', '%s') | list + [{}]) | first} }}"
                                         % (server, lab['lab_json'], connector),
        'onprem_relay_verify_source': '127.1.2.3',
        'onprem_relay_verify_unlisted_source': '127.9.9.9',
        'onprem_relay_verify_sender': 'scanner@solo.com',
    }
    writes_before = lab_stats(lab)['write_calls']
    runner, artifacts, env = run_job(tmp_path, job_environment / 'playbooks' / 'onprem_relay.yml',
                                     [(ONPREM_TYPE, inputs)], job_vars)
    assert env['EXCHANGE_PASSWORD'] == psrp['password'] and env['EXCHANGE_CA_PATH'] == ''
    assert runner.status == 'successful', runner.stdout.read()[-4000:]
    assert runner.stats['changed'].get('localhost', 0) > 0
    assert lab_stats(lab)['write_calls'] > writes_before
    assert_no_secret_in_artifacts(artifacts, [psrp['password']])


def online_job_vars(lab):
    eop = lab['online']['eop']
    domain = lab['online']['tenant_domain']
    return {
        'online_relay_style': 'ip',
        'online_relay_connector_name': 'AWX relay',
        'online_relay_public_ips': ['10.20.30.41'],
        'online_relay_verify_endpoint': {'host': eop['host'], 'port': eop['port']},
        'online_relay_verify_tls_server_name': eop['name'],
        'online_relay_verify_ca_path': eop['ca_path'],
        'online_relay_verify_source': '127.20.30.41',
        'online_relay_verify_unlisted_source': '127.9.9.9',
        'online_relay_verify_sender': 'scanner@' + domain,
        'online_relay_verify_internal_recipient': 'user@' + domain,
    }


def online_credentials(lab, **credential):
    """The certificate credential and the test-only credential that points the job at the lab."""
    online = lab['online']
    inputs = dict(credential, tenant=online['tenant_id'], client_id=online['client_id'],
                  ca_certificate=Path(online['ca_path']).read_text(encoding='utf-8'))
    endpoints = dict(authority_url=base_url(online['authority']), exchange_url=base_url(online['rest_base_url']))
    return [(ONLINE_TYPE, inputs), (LAB_ENDPOINTS_TYPE, endpoints)]


def test_online_relay_job_with_the_certificate_credential(tmp_path, lab, job_environment):
    private_key = Path(lab['online']['private_key']).read_text(encoding='utf-8')
    credentials = online_credentials(lab, certificate=Path(lab['online']['certificate']).read_text(encoding='utf-8'),
                                     private_key=private_key)
    runner, artifacts, env = run_job(tmp_path, job_environment / 'playbooks' / 'online_relay.yml',
                                     credentials, online_job_vars(lab))
    # The key reached the job as a private file, the way AWX writes `file` injectors.
    key_file = Path(env['EXO_PRIVATE_KEY'])
    assert key_file.parent == tmp_path / 'job' / 'env' and oct(key_file.stat().st_mode & 0o777) == '0o600'
    assert key_file.read_text(encoding='utf-8') == private_key and env['EXO_PFX'] == ''
    assert runner.status == 'successful', runner.stdout.read()[-4000:]
    assert lab_stats(lab)['token_requests'] > 0
    key_lines = [line for line in private_key.splitlines() if line and not line.startswith('-----')]
    assert_no_secret_in_artifacts(artifacts, key_lines)


def test_online_job_with_a_pfx_credential(tmp_path, lab, job_environment):
    pfx_base64 = base64.b64encode(Path(lab['online']['pfx']).read_bytes()).decode('ascii')
    credentials = online_credentials(lab, pfx_base64=pfx_base64, pfx_password=lab['online']['pfx_password'])
    playbook = tmp_path / 'read_inbound.yml'
    playbook.write_text(yaml.safe_dump([{
        'name': 'Read inbound connectors with the PFX credential', 'hosts': 'localhost',
        'connection': 'local', 'gather_facts': False,
        'tasks': [{'name': 'Inbound connectors', 'mailflow.exchange.inbound_connector_info': {},
                   'register': 'inbound'},
                  {'name': 'They were read', 'ansible.builtin.assert': {'that': ['inbound.connectors is defined']}}],
    }]), encoding='utf-8')
    runner, artifacts, env = run_job(tmp_path, playbook, credentials, {})
    assert env['EXO_CERTIFICATE'] == '' and Path(env['EXO_PFX']).read_text(encoding='utf-8') == pfx_base64
    assert runner.status == 'successful', runner.stdout.read()[-4000:]
    assert_no_secret_in_artifacts(artifacts, [lab['online']['pfx_password'], pfx_base64[40:120]])
