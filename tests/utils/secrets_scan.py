#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the relay playbooks at -vvvv against a running lab and fail if any secret shows up.

The runs: the demo (playbooks/demo.yml: on-premises connector, both on-premises relay styles, the
Exchange Online relay) and tests/secrets/failing.yml (wrong passwords, a wrong PFX password, a wrong
client secret, a foreign certificate, SMTP AUTH, check mode with diff). Each runs with ``--diff`` and
``ANSIBLE_LOG_PATH``; stdout, stderr and the log are searched for every secret the runs used:

- the lab's passwords and the wrong ones the scan made up, raw and as Basic / SMTP AUTH encode them;
- the PFX passwords and the client secret;
- each line of the private keys' PEM bodies;
- every bearer token the lab issued during the runs (lab.json ``online.issued_tokens``).

A canary the failing playbook prints on purpose must be found, so a scan that reads nothing fails.
Findings name the secret and the file, never the value.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys

# PEM body lines shorter than this could match by chance (the last line of a key is often short).
MIN_PEM_LINE = 16
# Each run is bounded: the demo takes about a minute on a quiet machine.
RUN_TIMEOUT_SECONDS = 900


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def password_forms(label, username, password):
    """The password and how the protocols carry it (Basic header, SMTP AUTH PLAIN and LOGIN)."""
    return {
        label: password,
        label + " (Basic header)": b64("%s:%s" % (username, password)),
        label + " (AUTH PLAIN)": b64("\0%s\0%s" % (username, password)),
        label + " (AUTH LOGIN)": b64(password),
    }


def pem_body_lines(label, path):
    """Each base64 line of a PEM file's body, as its own secret."""
    with open(path, encoding="ascii") as handle:
        lines = [line.strip() for line in handle if line.strip() and not line.startswith("-----")]
    return {"%s line %d" % (label, number): line
            for number, line in enumerate(lines, 1) if len(line) >= MIN_PEM_LINE}


def collect_secrets(lab, made_up):
    """Label -> secret value for everything the runs handle."""
    psrp, online = lab["psrp"], lab["online"]
    found = {}
    found.update(password_forms("lab password", psrp["username"], psrp["password"]))
    found.update(password_forms("wrong password", psrp["username"], made_up["wrong_password"]))
    found["PFX password"] = online["pfx_password"]
    found["EOP client PFX password"] = online["eop"]["client_pfx_password"]
    found["wrong PFX password"] = made_up["wrong_pfx_password"]
    found["client secret"] = online["client_secret_app"]["client_secret"]
    found["wrong client secret"] = made_up["wrong_client_secret"]
    found.update(pem_body_lines("app private key", online["private_key"]))
    found.update(pem_body_lines("EOP client private key", online["eop"]["client_key"]))
    return found


def issued_tokens(lab):
    """Every bearer token the lab issued, and the signature part of each (a token cut short still leaks it)."""
    try:
        with open(lab["online"]["issued_tokens"], encoding="ascii") as handle:
            tokens = [line.strip() for line in handle if line.strip()]
    except FileNotFoundError:
        return {}
    found = {}
    for number, token in enumerate(tokens, 1):
        found["bearer token %d" % number] = token
        found["bearer token %d signature" % number] = token.rsplit(".", 1)[-1]
    return found


def run_playbook(name, playbook, out_dir, env, extra_vars_file=None):
    """Run one playbook at -vvvv with --diff; return the paths of its stdout/stderr and log files."""
    log_path = os.path.join(out_dir, name + ".log")
    output_path = os.path.join(out_dir, name + ".out")
    command = ["ansible-playbook", "-vvvv", "--diff", playbook]
    if extra_vars_file:
        command += ["-e", "@" + extra_vars_file]
    run_env = dict(env, ANSIBLE_LOG_PATH=log_path)
    with open(output_path, "w", encoding="utf-8") as output:
        completed = subprocess.run(command, env=run_env, stdout=output, stderr=subprocess.STDOUT,
                                   timeout=RUN_TIMEOUT_SECONDS, check=False)
    if completed.returncode != 0:
        sys.exit("%s failed (exit %d): see %s" % (playbook, completed.returncode, output_path))
    return [output_path, log_path]


def scan(paths, secret_values):
    """(label, path) for every secret found in every file."""
    findings = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        findings.extend((label, path) for label, value in secret_values.items() if value in text)
    return findings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lab-json", required=True, help="lab.json of the running lab")
    parser.add_argument("--collections", required=True, help="ANSIBLE_COLLECTIONS_PATH holding mailflow.exchange")
    parser.add_argument("--out", required=True, help="directory for the outputs and logs")
    parser.add_argument("--source", default=os.getcwd(), help="the checkout (playbooks/, tests/secrets/)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    with open(args.lab_json, encoding="utf-8") as handle:
        lab = json.load(handle)

    made_up = {name: "%s-%s" % (name.replace("_", "-"), secrets.token_urlsafe(12))
               for name in ("wrong_password", "wrong_pfx_password", "wrong_client_secret", "canary")}
    extra_vars_file = os.path.join(args.out, "failing-vars.json")
    with open(extra_vars_file, "w", encoding="utf-8") as handle:
        json.dump(dict(made_up, lab=lab), handle)

    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=args.collections, LAB_JSON=args.lab_json,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1")
    env.update({name: str(value) for name, value in lab["env"].items()})

    paths = run_playbook("demo", os.path.join(args.source, "playbooks", "demo.yml"), args.out, env)
    paths += run_playbook("failing", os.path.join(args.source, "tests", "secrets", "failing.yml"), args.out, env,
                          extra_vars_file)

    tokens = issued_tokens(lab)
    if not tokens:
        sys.exit("the lab issued no bearer token: the Exchange Online runs did not happen, the scan proves nothing")
    if not scan(paths, {"canary": made_up["canary"]}):
        sys.exit("the canary the failing playbook prints was not found: the scan reads the wrong files")

    secret_values = collect_secrets(lab, made_up)
    secret_values.update(tokens)
    findings = scan(paths, secret_values)
    for label, path in findings:
        print("LEAK: %s in %s" % (label, path))
    if findings:
        return 1
    print("secrets scan: %d secrets (%d bearer tokens) absent from %d files" % (
        len(secret_values), len(tokens) // 2, len(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
