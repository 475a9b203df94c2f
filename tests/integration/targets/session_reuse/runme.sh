#!/usr/bin/env bash
# One Exchange session per host per play: the same tasks over the session connections and
# directly, compared, with the lab's counters as proof.
set -eux

export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
# The lab's address comes from the integration config that make integration writes.
config=(-i inventory.yml -e @../../integration_config.yml)
counters_file=$(mktemp)
trap 'rm -f "$counters_file"' EXIT

ansible-playbook "${config[@]}" -e counters_file="$counters_file" sessions_closed.yml --tags start "$@"
ansible-playbook "${config[@]}" session_reuse.yml "$@"
# ansible-playbook resets its persistent connections at the end of a run: no shell is left open.
ansible-playbook "${config[@]}" -e counters_file="$counters_file" sessions_closed.yml --tags end "$@"
