# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is asking: the session process serves only processes of its own playbook run.

Any process of the same OS user can connect to a session socket. The session process
asks the kernel who is on the other end (SO_PEERCRED) and serves only a process of the
same user that is ansible-playbook itself or one of its descendants (its workers, the
modules they start, the ansible-connection helper).

Ansible's connection process accepts one request connection at a time and does not
hand it to the connection plugin, so the plugin finds it among its own file
descriptors: the connected stream socket bound to its socket path.
"""

from __future__ import annotations

import os
import socket
import stat
import struct

# struct ucred: pid, uid, gid (Linux socket(7)).
_UCRED = struct.Struct("3i")
MAX_ANCESTORS = 64


class PeerRefused(Exception):
    """The process on the other end of the socket is not one of this playbook run."""


def request_peer(socket_path):
    """``(pid, uid)`` of the process whose request is being served on ``socket_path``, or None.

    None when nothing is being served (a call from inside the session process).
    Raises PeerRefused when the peer cannot be told.
    """
    if not hasattr(socket, "SO_PEERCRED") or not os.path.isdir("/proc/self/fd"):
        raise PeerRefused("this system cannot tell who is on the other end of a socket (SO_PEERCRED)")
    peers = [peer for peer in map(_peer_of, _socket_descriptors()) if peer and peer[0] == socket_path]
    if len(peers) > 1:
        raise PeerRefused("%d requests at once on %s; the session serves one at a time" % (len(peers), socket_path))
    return peers[0][1:] if peers else None


def check_peer(socket_path, playbook_pid):
    """Refuse (PeerRefused) a request from any process but this playbook run's."""
    if not socket_path:
        return
    peer = request_peer(socket_path)
    if peer is None:
        return
    pid, uid = peer
    if uid != os.getuid():
        raise PeerRefused("refused a request from uid %d: the session serves only uid %d" % (uid, os.getuid()))
    if not playbook_pid or not descends_from(pid, int(playbook_pid)):
        raise PeerRefused("refused a request from process %d: not part of the playbook run %s" % (pid, playbook_pid))


def descends_from(pid, ancestor):
    """Whether ``pid`` is ``ancestor`` or one of its descendants (parent links in /proc)."""
    for _step in range(MAX_ANCESTORS):
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
        pid = parent_pid(pid)
    return False


def parent_pid(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            fields = handle.read()
    except OSError:
        return 0
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return int(fields[fields.rindex(b")") + 2:].split()[1])


def _socket_descriptors():
    for name in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                yield int(name)
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)


def _peer_of(descriptor):
    """``(bound path, pid, uid)`` of a connected Unix stream socket, else None."""
    try:
        sock = socket.socket(fileno=os.dup(descriptor))
    except OSError:
        return None
    try:
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            return None
        sock.getpeername()  # a listening socket has no peer: OSError
        pid, uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
        return sock.getsockname(), pid, uid
    except OSError:
        return None
    finally:
        sock.close()
