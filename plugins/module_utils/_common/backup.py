# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``backup``: the object as a task read it, saved before the task's first write.

The file is an export vars file (export_file.py): the variable the info module's export writes,
a list of task arguments of the module, so looping the module over it restores the object and a
rerun reports no change. An object that did not exist is saved as ``state: absent`` (applying the
file removes what the task created). A task that writes nothing saves nothing; check mode writes
nothing.

The options are named as Ansible's network modules name theirs (``backup``, ``backup_options``
with ``dir_path`` and ``filename``), and the result is ``backup_path``. The action plugin
(plugin_utils/_backup_directory.py) resolves ``dir_path`` on the controller, by default to
``backup`` next to the playbook; the module writes the file where it runs, which is the controller
for connection local and for the session connections.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone

BACKUP_SPEC = dict(
    backup=dict(type="bool", default=False),
    backup_options=dict(type="dict", options=dict(
        dir_path=dict(type="path"),
        filename=dict(type="str"),
    )),
)
DEFAULT_DIRECTORY = "backup"
# What a default file name keeps of an object's name: the rest becomes _ (any file system takes it).
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_MAX_LABEL = 100


class BackupUnusable(Exception):
    """The backup options cannot be used; the task stops before anything is read or written."""


def check_options(params):
    """Refuse backup options that cannot work, before any traffic. Raises BackupUnusable."""
    options = params.get("backup_options") or {}
    filename = options.get("filename")
    if not params.get("backup") or filename is None:
        return
    if not filename.strip() or filename in (".", "..") or os.path.basename(filename) != filename:
        raise BackupUnusable("backup_options.filename %r: give a file name without a directory (the directory is "
                             "backup_options.dir_path)" % filename)


def default_filename(module_name, label, moment):
    """``<module>_<object>.<date>@<time>.yml`` (UTC), the object's name reduced to safe characters."""
    safe = _UNSAFE.sub("_", label).strip("_.")[:_MAX_LABEL] or "object"
    return "%s_%s.%s.yml" % (module_name, safe, moment.strftime("%Y-%m-%d@%H-%M-%S"))


class Backup:
    """What a module's task read, kept until the task writes and then saved (once) as a vars file."""

    def __init__(self, module, module_name):
        self.module = module
        self.module_name = module_name
        self.path = None
        self._kept = None

    @property
    def requested(self):
        return bool(self.module.params.get("backup"))

    def keep(self, label, document, header):
        """The file to save if the task writes: ``document`` (the export variables) of the object called
        ``label``, as read now. After the save nothing replaces it: a second read (after a write's outcome
        was unknown) already sees the change."""
        if self.path is None:
            self._kept = (label, document, header)

    def save(self):
        """Write the kept document (called just before the first write). Fails the task, before the write,
        when it cannot be written."""
        if not self.requested or self.path is not None:
            return
        if self._kept is None:
            raise RuntimeError("%s wrote before it kept a backup of the object" % self.module_name)
        _export_file().require_yaml(self.module)
        label, dummy, dummy = self._kept
        moment = datetime.now(timezone.utc)
        options = self.module.params.get("backup_options") or {}
        directory = options.get("dir_path") or DEFAULT_DIRECTORY
        try:
            os.makedirs(directory, exist_ok=True)
            if options.get("filename"):
                self.path = _replace(os.path.join(directory, options["filename"]), self._text(moment))
            else:
                self.path = _create_new(directory, default_filename(self.module_name, label, moment),
                                        self._text(moment))
        except OSError as err:
            self.module.fail_json(msg="backup: cannot write the backup in %s, nothing was changed: %s"
                                      % (directory, err))

    def correct(self, label, document, header):
        """Replace a saved backup whose first write Exchange refused without writing anything (the object
        existed after all, a read had lagged behind): the object as read now is what the task changes."""
        if self.path is None:
            self.keep(label, document, header)
            return
        self._kept = (label, document, header)
        try:
            _replace(self.path, self._text(datetime.now(timezone.utc)))
        except OSError as err:
            self.module.fail_json(msg="backup: cannot write the backup %s, nothing was changed: %s" % (self.path, err))

    def discard(self):
        """Remove a saved backup that is known to be wrong: the first write was refused, nothing was written, and
        the object the read missed cannot be read (a file saying it did not exist would remove it when applied)."""
        if self.path is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.path = None

    def _text(self, moment):
        dummy, document, header = self._kept
        comment = "%s\nSaved by mailflow.exchange.%s before it changed them (read %s)." % (
            header, self.module_name, moment.strftime("%Y-%m-%d %H:%M:%S UTC"))
        return _export_file().render(document, comment)

    def result(self):
        return dict(backup_path=self.path) if self.path else {}


def _export_file():
    # Imported when a backup is written: most tasks write none, and a module compiles every file it imports on
    # each task (AnsiballZ runs it from a zip, without cached bytecode).
    from ansible_collections.mailflow.exchange.plugins.module_utils._common import export_file

    return export_file


def _replace(path, text):
    """Write ``path`` whole or not at all (a reader never sees half a file)."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".backup-", suffix=".yml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return os.path.abspath(path)


def _create_new(directory, filename, text):
    """A new file (never another backup's): ``name.yml``, else ``name_2.yml``, ``name_3.yml``..."""
    stem, extension = os.path.splitext(filename)
    for number in range(1, 1000):
        path = os.path.join(directory, filename if number == 1 else "%s_%d%s" % (stem, number, extension))
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        return os.path.abspath(path)
    raise OSError("%s and 998 numbered copies exist already" % filename)
