# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of a module over a property table: read -> compare -> plan -> apply -> read back.

engine.py plans without talking to Exchange; this is the part that talks. A module's task class
names its table and cmdlets and fills in what is special about its object (how it is read, what
its rules are, how it is created); the order of the steps, the update, the removal, the read back
and the result are the same for every table object. Writes go through the module's client, which
in check mode records them without sending them (commands.py).
"""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine, list_edit
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError, RuleViolation


class TableObjectTask:
    """One object of a property table brought to the task's options (``run`` is the whole task)."""

    rows = ()
    set_cmdlet = None
    remove_cmdlet = None
    # Multi-valued edits in the REST endpoint's form (list_edit.delta_parameters).
    odata = False
    # The result key of the object (its values as the module's options).
    result_key = "connector"

    def __init__(self, module, client, desired, edits):
        self.module = module
        self.client = client
        self.requested = dict(desired)
        self.desired = dict(desired)
        self.edits = edits
        self.resolved = {}
        self.object = None  # as read; writes address it (write_identity)
        self.label = None  # the object in messages
        # How often run() started: more than once after a write's outcome was unknown (outcome.run_rereading).
        self.runs = 0
        # The object's values before the task changed it, as the first run found them (the diff's before).
        self.first_before = None

    # --- what a table object supplies ------------------------------------------------------------

    def read(self):
        """The object as Exchange returns it, or None."""
        raise NotImplementedError

    def values(self, obj):
        """The object's canonical values, keyed by option."""
        raise NotImplementedError

    def write_identity(self, obj):
        """How a write addresses ``obj`` (never a name another object could match)."""
        raise NotImplementedError

    def keep_backup(self, current):
        """Keep the object as read (``current``, None when missing) for the backup."""
        raise NotImplementedError

    def create(self):
        """Create the object from ``self.desired``; its result (see ``created``)."""
        raise NotImplementedError

    def prepare(self, current):
        """Refusals on the object as it will be, before a create or an update (raise or fail_json)."""

    def check_update(self, current, after):
        """Refusals of an update that changes something, before it is written."""

    def as_stored(self, desired, current):
        """``desired`` in the form Exchange stores next to ``current`` (default: as it is)."""
        return desired

    def remove(self):
        """Remove the object read; False when it was gone already."""
        self.client.invoke(self.remove_cmdlet, {"Identity": self.write_identity(self.object), "Confirm": False})
        return True

    def read_again(self, written):
        """The object after a write (``written``: the values it should show)."""
        return self.read()

    def settled_values(self, obj, written):
        """The values a read after the write shows."""
        return self.values(obj)

    # --- the steps ---------------------------------------------------------------------------------

    def run(self):
        self.runs += 1
        self.object = self.read()
        current = None if self.object is None else self.values(self.object)
        self.note_before(current)
        self.keep_backup(current)
        if self.module.params["state"] == "absent":
            return self.absent(current)
        self.resolve_edits(current)
        self.prepare(current)
        if current is None:
            return self.create()
        return self.update(current)

    def note_before(self, current):
        """Keep ``current`` as the object before the task, in its first run only: a run again after a write's
        outcome was unknown may read the task's own write."""
        if self.runs <= 1:
            self.first_before = current

    def resolve_edits(self, current):
        """Edits (add/remove) become the lists they make of ``current``, so every rule judges the result."""
        self.resolved = list_edit.resolve_options(self.edits, current, self.rows)
        self.desired = dict(self.requested, **{option: edit.after for option, edit in self.resolved.items()})

    def absent(self, current):
        if current is None or not self.remove():
            return self.result(False, {}, {})
        return self.result(True, current, {})

    def update(self, current):
        self.desired = self.as_stored(self.desired, current)
        changes = engine.differences(current, self.desired)
        if not changes:
            return self.result(False, current, current)
        after = engine.merged(current, self.desired)
        self.check_update(current, after)
        set_parameters, refused = engine.parameters(self.desired, self.rows, list(changes), on_new=False)
        if refused:
            self.module.fail_json(msg="cannot change %s of an existing %s (Exchange sets them only at creation); "
                                      "remove and recreate it" % (", ".join(sorted(refused)), self.result_key),
                                  **{self.result_key: current})
        set_parameters = list_edit.delta_parameters(set_parameters, self.resolved, self.rows, odata=self.odata)
        set_parameters["Identity"] = self.write_identity(self.object)
        self.client.invoke(self.set_cmdlet, set_parameters)
        if not self.module.check_mode:
            after = self.read_back(None, written=after)
        return self.result(True, current, after)

    def created(self, returned):
        """The result of a creation: as planned in check mode, else as read back."""
        if self.module.check_mode:
            return self.result(True, {}, self.desired)
        return self.result(True, {}, self.read_back(returned))

    def read_back(self, returned, written=None):
        """The object as Exchange now prints it: what the write returned, or a fresh read."""
        if returned:
            return self.values(returned[0])
        obj = self.read_again(written)
        if obj is None:
            raise ExchangeError("%s cannot be read back after the change" % self.label)
        return self.settled_values(obj, written)

    def result(self, changed, before, after):
        result = {"changed": changed, self.result_key: engine.readable_values(after, self.rows)}
        if self.module._diff:
            if self.runs > 1:
                # Run again after a write's outcome was unknown: the diff shows the whole change of the task.
                before = self.first_before or {}
            result["diff"] = dict(before=engine.readable_values(before, self.rows),
                                  after=engine.readable_values(after, self.rows))
        return result


def refuse(problems):
    """Raise RuleViolation for ``problems`` (nothing when there are none)."""
    if problems:
        raise RuleViolation("; ".join(problems))
