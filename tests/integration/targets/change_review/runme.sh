#!/usr/bin/env bash
# Change review: check mode lists the same commands as the real run, and a backup restores the object.
# The same tasks run over the session connections and directly.
set -eux

export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
ansible-playbook -i inventory.yml -e @../../integration_config.yml change_review.yml "$@"
