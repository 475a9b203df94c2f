#!/usr/bin/env bash
# The lab's contract for outside tests: lab.json's env_online reaches the lab's Exchange Online as the
# modules' EXO_* environment, and the same names as mailflow_exo_<name> variables of online_session.
set -eux

export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
ansible-playbook -i localhost, -e @../../integration_config.yml env_online.yml "$@"
