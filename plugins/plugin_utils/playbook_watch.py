# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End a session process when its ansible-playbook is gone.

ansible-playbook resets, at the end of a run, only the persistent connections it
recorded from a task's arguments. A looped task's arguments never carry the socket
(each item runs on a copy of the task), and a killed run resets nothing: such a
session process would hold its Exchange runspace until the idle timeout. A thread
of the session process watches the playbook's pid instead and, once it is gone,
sends the process SIGTERM, on which ansible-connection shuts down and closes the
connection (the session deletes its shell).
"""

from __future__ import annotations

import os
import signal
import threading
import time

POLL_SECONDS = 1.0


def playbook_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else: cannot be ours, but do not end on a guess
    return True


def watch_playbook(pid, poll_seconds=POLL_SECONDS, on_end=None):
    """Start the watcher thread for playbook ``pid``; returns it (a daemon thread).

    ``on_end`` runs once the playbook is gone, before this process is ended.
    """
    def watch():
        while playbook_alive(pid):
            time.sleep(poll_seconds)
        if on_end is not None:
            on_end()
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="mailflow-playbook-watch", daemon=True)
    thread.start()
    return thread
