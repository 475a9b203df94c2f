# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running one of this collection's modules inside the task's worker, without a module process.

Over a session connection a module only checks its options, sends its cmdlets to the session
process and reports: a Python process of its own (interpreter start, Ansible's module_utils, the
collection's module_utils compiled from the AnsiballZ zip on every task) costs more than all of
that. So the action plugin runs the module's ``main()`` in the worker, which Ansible forks for the
task and ends after it, through the same doors as a module process:

- the arguments are the ones Ansible would send (ActionBase._update_module_args), encoded with the
  module's serialization profile and read back by AnsibleModule as a module process reads them;
- the module-side code runs as on a target (``ansible.module_utils._internal.is_controller`` off,
  so warnings and deprecations go into the result instead of the controller's display);
- its printed JSON result is parsed by ActionBase._parse_returned_data, as a module's stdout is.

ansible-core's module side (``basic._ANSIBLE_ARGS``, ``is_controller``, the recorded warnings) has
no public API for this; ``ansible.module_utils.testing.patch_module_args`` sets the same two
globals for tests. session_reuse runs on the default core and on the newest in the matrix; the
release in between runs the unit tests of this file.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import traceback

from ansible.module_utils import _internal, basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.json import Direction, get_module_encoder

# The profile of modules that declare none (all of this collection's), as AnsiballZ sends it.
PROFILE = "legacy"
COLLECTION = "mailflow.exchange."


def module_import_path(resolved_action):
    """The Python path of this collection's module ``resolved_action`` (its FQCN), or None for another's."""
    if not resolved_action or not resolved_action.startswith(COLLECTION):
        return None
    name = resolved_action[len(COLLECTION):]
    if not name.isidentifier():
        return None
    return "ansible_collections.mailflow.exchange.plugins.modules.%s" % name


def module_output(import_path, module_args):
    """(stdout, stderr, rc) of the module at ``import_path`` run with ``module_args`` (internal keys included).

    The module's stderr is kept as a module process's is: the worker would otherwise show it as a
    warning after the task (ansible-core's "errantly sent data directly to stderr"), unmasked and
    even for a no_log task; as a module's stderr it shows only in a failed result (module_stderr)."""
    encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
    json_params = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()
    stdout, stderr = io.StringIO(), io.StringIO()
    with _module_side(json_params), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = _run_main(import_path)
    return stdout.getvalue(), stderr.getvalue(), rc


def _run_main(import_path):
    try:
        importlib.import_module(import_path).main()
    except SystemExit as ended:
        # As the interpreter ends a process: None is 0, anything else that is no int is printed and is 1.
        if ended.code is None:
            return 0
        if isinstance(ended.code, int):
            return ended.code
        print(ended.code, file=sys.stderr)
        return 1
    except Exception as err:  # pylint: disable=broad-exception-caught
        # What AnsiballZ reports for an exception that escapes a module.
        encoder = get_module_encoder(PROFILE, Direction.MODULE_TO_CONTROLLER)
        print(json.dumps(dict(failed=True, msg="mailflow.exchange failed unexpectedly (%s: %s)"
                              % (type(err).__name__, err), exception=traceback.format_exc()), cls=encoder))
        return 1
    print(json.dumps(dict(failed=True, msg="%s did not report a result" % import_path)))
    return 1


@contextlib.contextmanager
def _module_side(json_params):
    """The module-side globals as in a module process, and the worker's own back afterwards (a loop runs
    the module again in the same worker)."""
    # _PARSED_MODULE_ARGS: AnsibleModule's copy of the arguments, no_log values included, not left behind.
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS, _internal.is_controller)
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = json_params, PROFILE
    _internal.is_controller = False
    _clear_recorded_messages()
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS, _internal.is_controller = saved
        _clear_recorded_messages()


def _clear_recorded_messages():
    module_warnings._global_warnings.clear()  # pylint: disable=protected-access
    module_warnings._global_deprecations.clear()  # pylint: disable=protected-access


def result_of(action, stdout, stderr, rc):
    """The task result from a module's printed output, as ActionBase._execute_module makes it."""
    # ansible-core 2.21's _parse_returned_data takes a LowLevelExecuteCommandResult (a TypedDict).
    command_result = dict(rc=rc, stdout=stdout, stderr=stderr, stdout_lines=stdout.splitlines(),
                          stderr_lines=stderr.splitlines())
    parsed = action._parse_returned_data(command_result, PROFILE)  # pylint: disable=protected-access
    if isinstance(parsed, dict):  # ansible-core 2.19 and 2.20
        from ansible.vars.clean import remove_internal_keys

        parsed.pop("_ansible_suppress_tmpdir_delete", None)
        remove_internal_keys(parsed)
        return parsed
    parsed.remove_internal_keys()  # ansible-core 2.21: a UnifiedTaskResult
    return parsed.as_result_dict(for_round_trip=True)
