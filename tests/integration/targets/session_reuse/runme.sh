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

# Ansible's helper starts each session process once (two hosts) and never runs again to find it; the
# modules run in the task's worker unless the task has an environment.
ansible-playbook "${config[@]}" helper_starts.yml -vvvv "$@" >"$counters_file.helper" 2>&1 || {
    cat "$counters_file.helper"; exit 1; }
test "$(grep -c 'local domain socket does not exist, starting it' "$counters_file.helper")" -eq 2
test "$(grep -c 'found existing local domain socket' "$counters_file.helper")" -eq 0
# Twelve module runs in the worker (5 + 5 + 2 loop items), one module process (the task with an environment).
test "$(grep -c "in the task's worker, over mailflow.exchange" "$counters_file.helper")" -eq 12
test "$(grep -c 'Using module file .*receive_connector_info' "$counters_file.helper")" -eq 1
rm -f "$counters_file.helper"

# meta: reset_connection closes a host's session, after a read and after a writing task with a backup.
ansible-playbook "${config[@]}" reset_connection.yml "$@"

# A write broken off by persistent_command_timeout is read again, never sent again.
ansible-playbook "${config[@]}" unknown_outcome.yml "$@"

# ansible-playbook resets its persistent connections at the end of a run: no shell is left open.
ansible-playbook "${config[@]}" -e counters_file="$counters_file" sessions_closed.yml --tags end "$@"
