# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render an AWX custom credential type the way AWX does before it starts ansible-runner.

Implements the injector semantics documented in AWX's "Custom Credential Types" chapter and
carried out by AWX's CredentialType.inject_credential (awx/main/models/credential.py):
- The template namespace holds the credential's non-empty inputs; a boolean field the credential
  does not set is False; an empty or missing string field is simply undefined.
- Templates are Jinja2, rendered in an immutable sandbox with the default (lenient) Undefined.
- Every `file` injector is rendered and written, 0600, to a new temporary file under
  <private_data_dir>/env; `template` makes `tower.filename` that file's path, `template.<name>`
  makes `tower.filename.<name>` one.
- Every `env` injector is rendered (empty or not) into the job's environment.
- `extra_vars` injectors are rendered (recursively) into a YAML file passed as `-e @file`.
"""

from __future__ import annotations

import os
import stat
import tempfile
from types import SimpleNamespace

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment


def template_namespace(credential_type, inputs):
    """The variables injector templates see (without `tower`)."""
    namespace = {name: value for name, value in inputs.items() if isinstance(value, bool) or value}
    for field in credential_type['inputs'].get('fields', []):
        if field['type'] == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    return namespace


def _render(environment, value, namespace):
    if isinstance(value, dict):
        return {key: _render(environment, item, namespace) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(environment, item, namespace) for item in value]
    if isinstance(value, str):
        return environment.from_string(value).render(**namespace)
    return value


def inject(credential_type, inputs, private_data_dir):
    """Return (env, cmdline_args) for one credential; files land in <private_data_dir>/env."""
    environment = ImmutableSandboxedEnvironment()
    namespace = template_namespace(credential_type, inputs)
    injectors = credential_type.get('injectors', {})
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, mode=0o700, exist_ok=True)

    single_file, named_files = None, {}
    for label, template in injectors.get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            out.write(environment.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' in label:
            named_files[label.split('.', 1)[1]] = path
        else:
            single_file = path
    namespace['tower'] = SimpleNamespace(filename=single_file or SimpleNamespace(**named_files))

    env = {name: environment.from_string(template).render(**namespace)
           for name, template in injectors.get('env', {}).items()}

    args = []
    extra_vars = _render(environment, injectors.get('extra_vars', {}), namespace)
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            yaml.safe_dump(extra_vars, out)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        args = ['-e', '@%s' % path]
    return env, args
