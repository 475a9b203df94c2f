# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options of Ansible's persistent connection process that the session connections use
    # (read by ansible-core's ansible-connection: plugins/plugin_utils/exchange_session.py).
    DOCUMENTATION = r"""
options:
  persistent_connect_timeout:
    description:
      - Seconds the session may stay idle (no task calling it) before the connection process closes it
        and Exchange's session with it. The next task opens a new one.
      - It must exceed the time between two tasks of the same host, which in a fleet is a whole round of the
        other hosts (about hosts / forks x the time of one task), or else every task reopens the session.
      - The end of the run closes the session anyway; the timeout only bounds how long an interrupted run
        holds a runspace on the server (Exchange allows 18 per user by default).
    type: int
    default: 300
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
    vars:
      - name: ansible_connect_timeout
  persistent_command_timeout:
    description:
      - Seconds one module call may take in the session, reopening it and retries included. After that the
        call is abandoned and reported with an unknown outcome.
    type: int
    default: 300
    ini:
      - section: persistent_connection
        key: command_timeout
    env:
      - name: ANSIBLE_PERSISTENT_COMMAND_TIMEOUT
    vars:
      - name: ansible_command_timeout
  persistent_log_messages:
    description:
      - Always false, on purpose not configurable. Ansible's persistent connection log would record every
        request in clear text, including the options that carry the password or the credential.
    type: boolean
    default: false
notes:
  - >-
    Modules still run on the controller, in the Python of C(ansible-playbook): a task runs its module inside
    Ansible's worker process for the task, without starting a module process (the slowest part of a task
    that changes nothing). A task with C(async), C(become) or an C(environment) runs its module as a module
    process instead, like C(connection: local); for those, set
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}") so they use the Python that has pypsrp,
    msal and cryptography.
  - >-
    One connection process per inventory host keeps the session for the whole run; ansible-playbook closes
    it at the end, C(meta: reset_connection) closes it at once, and so does O(persistent_connect_timeout).
  - >-
    The connection options of the modules (O(mailflow.exchange.receive_connector#module:host) and the
    others) are ignored for tasks that run over a session: the session's own options apply. A task that
    names another server (O(mailflow.exchange.receive_connector#module:host)) or tenant
    (O(mailflow.exchange.inbound_connector#module:tenant), O(mailflow.exchange.inbound_connector#module:exchange_url))
    than its session fails before any call (compared without case; a tenant's GUID and its domain count as different).
  - >-
    A session found broken (its shell gone, or the server unreachable before the call was sent) is
    reopened once and the call repeated, but only when the call certainly did not run or is a read
    (C(Get-)/C(Test-)). A write whose outcome is unknown fails the task and is never repeated.
"""
