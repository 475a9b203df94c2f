# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The writes a task runs, as PowerShell lines a change board can review (the ``commands`` result).

A ``ReviewedClient`` wraps the client a module uses. Reads pass through. Each write is written
down as one line (``Set-ReceiveConnector -Identity '...' -RemoteIPRanges @{Add='10.1.2.5'}``) and
then sent, or, in check mode, only written down: so a check-mode run and the real run that follows
list the same lines, from the one place that sends. Just before the first write it sends, the
client calls ``before_first_write`` (the backup is saved there: nothing is written before it is).

The lines are for reading, never run by the collection: the clients send each parameter as
data (psrp.py). Values of parameters that may hold a secret are masked.
"""

from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import all_reads

MASK = "'********'"
# Parameters whose value is never shown, whatever the cmdlet (none of the cmdlets the modules write
# takes one today; a new one that does must not leak through this list).
_SECRET_PARAMETER = re.compile(r"password|credential|secret|token|privatekey|certificatedata|pfx", re.IGNORECASE)
# PowerShell ends a single-quoted string at any of these, and reads each one doubled as itself
# (about_Quoting_Rules: the typographic single quotes count as quotes).
_SINGLE_QUOTES = re.compile("(['\u2018\u2019\u201a\u201b])")
# Keys of a parameter value that only tell the REST endpoint how to bind it (list_edit.py, @odata.type).
_ANNOTATION_PREFIX = "@odata."


def is_secret_parameter(name):
    return bool(_SECRET_PARAMETER.search(str(name)))


def render_value(value):
    """``value`` as a PowerShell literal: 'text', 42, $true, $null, 'a','b', @{Add='x'}."""
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "@{%s}" % "; ".join("%s=%s" % (key, MASK if is_secret_parameter(key) else render_value(item))
                                   for key, item in value.items() if not str(key).startswith(_ANNOTATION_PREFIX))
    if isinstance(value, (list, tuple)):
        return ",".join(render_value(item) for item in value) if value else "@()"
    return "'%s'" % _SINGLE_QUOTES.sub(r"\1\1", str(value))


def render_parameter(name, value):
    if is_secret_parameter(name):
        return "-%s %s" % (name, MASK)
    if isinstance(value, bool):
        # -Name:$true binds both a switch and a Boolean parameter.
        return "-%s:%s" % (name, render_value(value))
    return "-%s %s" % (name, render_value(value))


def render_command(cmdlet, parameters=None):
    """One cmdlet with its parameters: the object it addresses (Identity) first, the others in the order they
    are sent (PowerShell binds named parameters in any order)."""
    items = sorted((parameters or {}).items(), key=lambda item: item[0] != "Identity")
    return " ".join([cmdlet] + [render_parameter(name, value) for name, value in items])


def render_pipeline(commands):
    """``[(cmdlet, parameters), ...]`` as one line: ``A -X 1 | B -Y 2``."""
    return " | ".join(render_command(cmdlet, parameters) for cmdlet, parameters in commands)


class ReviewedClient:
    """A client (direct or over a session) that writes each write down before sending it.

    In check mode a write is written down and not sent: ``invoke`` returns no objects, as a cmdlet
    that printed nothing would. ``commands`` holds the lines in order; ``applied``, ``warnings``
    and the rest are the wrapped client's.
    """

    def __init__(self, client, check_mode=False, before_first_write=None):
        self._client = client
        self.check_mode = check_mode
        self._before_first_write = before_first_write
        self.commands = []

    def __getattr__(self, name):
        if name == "_client":  # not set yet (a copy being made): never look it up in itself
            raise AttributeError(name)
        return getattr(self._client, name)

    def __enter__(self):
        self._client.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._client.__exit__(*exc_info)

    def invoke(self, cmdlet, parameters=None):
        return self.invoke_pipeline([(cmdlet, parameters or {})])

    def invoke_pipeline(self, commands):
        if all_reads(commands):
            return self._client.invoke_pipeline(commands)
        line = render_pipeline(commands)
        if not self.check_mode and self._before_first_write is not None:
            # Cleared only once it succeeded: a write never goes out before it.
            self._before_first_write()
            self._before_first_write = None
        self.commands.append(line)
        if self.check_mode:
            return []
        return self._client.invoke_pipeline(commands)
