# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which session process serves a task: one per set of connection settings, not per address.

Ansible names a persistent connection's socket from the host address, port, user,
connection type and playbook pid. Two inventory hosts that share an address but not
their tenant, credentials or endpoints would share one session process, each task
pushing its own settings into it. The session plugins therefore add a tag to the user
part of that name: a keyed digest of every connection setting, credentials included.

The key is random per playbook run and kept in a 0600 file of Ansible's control
directory, so the socket name tells nothing about the settings, and a weak password
cannot be guessed from it offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets

KEY_BYTES = 32
TAG_CHARS = 32
_KEY_FILE = ".mailflow_session_key_%s"


def key_path(control_dir, playbook_pid):
    return os.path.join(control_dir, _KEY_FILE % playbook_pid)


def run_key(control_dir, playbook_pid):
    """The key of this playbook run, created by whichever task needs it first.

    Written to a private temporary file and linked into place, so a concurrent task
    either wins the link or reads the complete key of the winner.
    """
    path = key_path(control_dir, playbook_pid)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    os.makedirs(control_dir, mode=0o700, exist_ok=True)
    draft = "%s.%d.%s" % (path, os.getpid(), secrets.token_hex(4))
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another task of this run was first: use its key
    finally:
        os.unlink(draft)
    return _read_key(path)


def remove_run_key(control_dir, playbook_pid):
    """Once the playbook run is over, its key has no use."""
    try:
        os.unlink(key_path(control_dir, playbook_pid))
    except FileNotFoundError:
        pass


def _read_key(path):
    with open(path, "rb") as handle:
        key = handle.read()
    if len(key) != KEY_BYTES:
        raise ValueError("%s is not a session key of this collection (%d bytes)" % (path, len(key)))
    return key


def settings_tag(key, settings):
    """A keyed digest of ``settings`` (JSON-ready values): equal settings, equal tag."""
    text = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:TAG_CHARS]


def tagged_user(user, tag):
    """The user part of the socket name: the inventory's user plus the settings' tag."""
    return "%s#mailflow-session-%s" % (user or "", tag)
