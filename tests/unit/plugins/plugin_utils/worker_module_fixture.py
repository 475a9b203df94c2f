# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module for test_module_in_worker.py: it reports its options, warns when asked, fails or raises."""

from __future__ import annotations

import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(dict(name=dict(type="str", required=True), secret=dict(type="str", no_log=True),
                                warning=dict(type="str"), outcome=dict(type="str", default="exit")),
                           supports_check_mode=True)
    params = module.params
    if params["warning"]:
        module.warn(params["warning"])
    if params["outcome"] == "raise":
        raise ValueError("broken %s" % params["name"])
    if params["outcome"] == "fail":
        module.fail_json(msg="refused %s (secret %s)" % (params["name"], params["secret"]))
    if params["outcome"] == "return":
        return
    if params["outcome"] == "stderr":
        sys.stderr.write("stderr line (secret %s)\n" % params["secret"])
    if params["outcome"] == "exit-none":
        sys.exit()
    if params["outcome"] == "exit-text":
        sys.exit("ended with a text")
    module.exit_json(changed=False, name=params["name"], check_mode=module.check_mode,
                     echoed="the secret is %s" % params["secret"])
