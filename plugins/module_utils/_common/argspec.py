# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging a module's options with the connection options of its kind; the task's arguments as given."""

from __future__ import annotations

import os

from ansible.module_utils.common.parameters import env_fallback
from ansible.module_utils.errors import AnsibleFallbackNotFound


def nonempty_env_fallback(*names):
    """Like Ansible's env_fallback, but an empty variable counts as unset.

    AWX credential injectors set every variable they list, empty when the credential leaves
    the field empty (AWX renders each `env` injector template unconditionally), and an empty
    port, URL or path must mean "not given" rather than a value to validate.
    """
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    raise AnsibleFallbackNotFound


def _ignoring_empty_env(option):
    fallback = option.get("fallback")
    if not fallback or fallback[0] is not env_fallback:
        return option
    return dict(option, fallback=(nonempty_env_fallback,) + tuple(fallback[1:]))


def merged_argument_spec(connection_spec, *specs):
    """The connection options plus a module's own, refusing any name used twice
    (a connector setting must never shadow a connection option).

    The connection options' environment fallbacks skip empty variables (see nonempty_env_fallback)."""
    merged = dict((name, _ignoring_empty_env(option)) for name, option in connection_spec.items())
    for spec in specs:
        clash = set(merged) & set(spec)
        if clash:
            raise ValueError("options defined twice: %s" % ", ".join(sorted(clash)))
        merged.update(spec)
    return merged


def arguments_as_written():
    """The task's arguments as the controller sent them, before Ansible's type conversion.

    Ansible turns a dict or a list given to a ``type: str`` option into its text ("{'add': ['x']}")
    without a word; only here is the shape the user wrote still visible.
    """
    # Documented for modules that need the parameters as handed over (ansible.module_utils.basic).
    from ansible.module_utils.basic import _load_params

    return _load_params()
