#!/usr/bin/env bash
# Hosts sharing an address but not their tenant or credentials, run side by side (forks), must each
# be served with their own settings: the lab's objects and write counters say who wrote what.
set -eux
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_LOCALHOST_WARNING=false
ansible-playbook -i inventory.yml -f 5 session_isolation.yml -e @../../integration_config.yml "$@"
