# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configuration as code: write what the info modules read as a YAML vars file.

The file holds one variable, a list of task argument dicts in a module's own option names and
canonical forms, so a play can apply it with ``loop`` and report no change. Values that are
unset on the server (null) are left out: for the modules an unset option means "leave as is",
which is what a null on the server already is.
"""

from __future__ import annotations

import os
import tempfile
import traceback

from ansible.module_utils.basic import missing_required_lib

FORMATS = ("module_args", "role_vars")


def export_argument_spec(default_var, formats=FORMATS[:1]):
    """The export options every info module with an export shares."""
    return dict(
        export_path=dict(type="path"),
        export_format=dict(type="str", default=formats[0], choices=list(formats)),
        export_var=dict(type="str", default=default_var),
    )


def task_arguments(values):
    """One task's arguments: the settable values without the nulls."""
    return {option: value for option, value in values.items() if value is not None}


def require_yaml(module):
    """Fail the task, naming the library, when PyYAML is missing.

    PyYAML is loaded only by a task that writes a file (export_path, a backup): loading it costs every
    other task time for nothing.
    """
    try:
        import yaml  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=traceback.format_exc())


def render(document, header):
    """The YAML text of ``document`` (a dict of variables), after a comment header (see require_yaml)."""
    import yaml

    comment = "".join("# %s\n" % line if line else "#\n" for line in header.splitlines())
    body = yaml.safe_dump(document, default_flow_style=False, sort_keys=False, allow_unicode=True, width=110)
    return "---\n" + comment + body


def write_if_changed(module, path, text):
    """Write ``text`` to ``path`` (atomically, 0644) unless it already holds it; True when it changed.

    Check mode only reports whether it would change.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except FileNotFoundError:
        pass
    except OSError as err:
        module.fail_json(msg="export_path %s cannot be read: %s" % (path, err))
    if module.check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        module.fail_json(msg="export_path %s: the directory %s does not exist" % (path, directory))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=".yml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as err:
        if os.path.exists(temporary):
            os.unlink(temporary)
        module.fail_json(msg="export_path %s cannot be written: %s" % (path, err))
    return True


def export(module, document, header):
    """Write ``document`` to the module's export_path; the result keys (changed, export_path)."""
    require_yaml(module)
    path = module.params["export_path"]
    return dict(changed=write_if_changed(module, path, render(document, header)), export_path=path)
