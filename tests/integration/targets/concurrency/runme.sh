#!/usr/bin/env bash
# 10 forks (10 inventory hosts) against one lab server and one Exchange Online tenant; the lab's
# address comes from ansible-test's integration_config.yml, loaded here as extra vars.
set -eux
ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i inventory.yml -f 10 concurrency.yml \
    -e @../../integration_config.yml "$@"
# The ten forks onboard one device each on one shared connector (on-premises and online) with add.
ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i inventory.yml -f 10 list_edits.yml \
    -e @../../integration_config.yml "$@"
