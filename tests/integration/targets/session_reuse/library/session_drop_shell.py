#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper of the session_reuse target: make the server drop the session's shell.

Runs over the onprem_session connection, asks the session for its ShellId and sends
WinRM's Delete for that shell from a second client, as if the server had dropped it.
With ``then_invoke`` it then runs one cmdlet through the session at once (no read
first), which proves that a write that certainly did not run is repeated on a new pool.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: session_drop_shell
short_description: Test helper, deletes the onprem_session's shell on the lab
description: Deletes the shell of the task's onprem_session on the server, then optionally runs one cmdlet.
options:
  host: {type: str, required: true, description: Lab WSMan host.}
  port: {type: int, required: true, description: Lab WSMan port.}
  username: {type: str, required: true, description: Lab account.}
  password: {type: str, required: true, description: Its password.}
  auth: {type: str, required: true, description: Lab authentication.}
  then_invoke:
    type: dict
    description: C(cmdlet) and C(parameters) to run through the session right after.
author: mailflow.exchange contributors (@mailflow)
"""

EXAMPLES = r"""
- session_drop_shell:
    host: 127.0.0.1
    port: 8080
    username: LAB\exadmin
    password: secret
    auth: ntlm
"""

RETURN = r"""
shell_id: {description: The ShellId deleted, returned: always, type: str}
output_count: {description: Objects the cmdlet returned, returned: with then_invoke, type: int}
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection

from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM, SessionClient

EXCHANGE_RESOURCE_URI = "http://schemas.microsoft.com/powershell/Microsoft.Exchange"


def main():
    module = AnsibleModule(argument_spec=dict(
        host=dict(type="str", required=True), port=dict(type="int", required=True),
        username=dict(type="str", required=True), password=dict(type="str", required=True, no_log=True),
        auth=dict(type="str", required=True), then_invoke=dict(type="dict"),
    ))
    if not module._socket_path:
        module.fail_json(msg="run this over the onprem_session connection")
    info = json.loads(Connection(module._socket_path).exchange_session_info())
    if not info["shell_id"]:
        module.fail_json(msg="the session has no open shell", info=info)

    from pypsrp.wsman import WSMan, SelectorSet

    p = module.params
    with WSMan(p["host"], port=p["port"], path="PowerShell", ssl=False, auth=p["auth"],
               username=p["username"], password=p["password"]) as wsman:
        selectors = SelectorSet()
        selectors.add_option("ShellId", info["shell_id"])
        wsman.delete(EXCHANGE_RESOURCE_URI, selector_set=selectors)

    result = dict(changed=True, shell_id=info["shell_id"])
    if p["then_invoke"]:
        client = SessionClient(module._socket_path, ONPREM, warn=module.warn)
        output = client.invoke(p["then_invoke"]["cmdlet"], p["then_invoke"].get("parameters") or {})
        result["output_count"] = len(output)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
