#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the Exchange lab in the background, or stop it again.

``start`` launches ``exchange-lab serve --state DIR ...`` detached from the
calling shell, records its pid and waits (bounded) until the lab has written
``DIR/lab.json``, which it does once its listeners accept connections. If the
lab dies or the time runs out, the tail of its log is shown and the exit status
is non-zero. ``stop`` sends SIGTERM to the recorded pid, waits (bounded) for it
to go and only then escalates to SIGKILL.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

POLL_SECONDS = 0.2
LOG_TAIL_LINES = 40


def read_pid(pid_file):
    """Return the pid recorded in ``pid_file``, or None."""
    try:
        with open(pid_file, encoding='utf-8') as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def is_lab_process(pid):
    """Tell whether ``pid`` is alive and still the lab (pids get reused)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            cmdline = handle.read()
    except OSError:
        return False
    return b'exchange-lab' in cmdline or b'exchange_lab' in cmdline


def is_alive(pid):
    """Tell whether ``pid`` exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            state = handle.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != 'Z'


def read_ready_file(path):
    """Return the parsed lab.json, or None while it is missing or half written."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def log_tail(log_file):
    """Return the last lines of the lab's log for an error message."""
    try:
        with open(log_file, encoding='utf-8', errors='replace') as handle:
            lines = handle.readlines()
    except OSError:
        return '(no log at %s)\n' % log_file
    return ''.join(lines[-LOG_TAIL_LINES:])


def start(args):
    """Launch the lab and wait for its lab.json; return an exit status."""
    pid = read_pid(args.pid_file)
    if pid and is_lab_process(pid):
        sys.stderr.write('lab already running (pid %d); run make lab-stop first\n' % pid)
        return 1
    ready_file = os.path.join(args.state, 'lab.json')
    os.makedirs(args.state, exist_ok=True)
    # A lab.json left by a killed lab would look like readiness.
    if os.path.exists(ready_file):
        os.unlink(ready_file)
    for path in (args.pid_file, args.log_file):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    command = [args.command, 'serve', '--state', args.state] + args.lab_args
    with open(args.log_file, 'wb') as log:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this helper; Ctrl-C in make does not hit it
        )
    with open(args.pid_file, 'w', encoding='utf-8') as handle:
        handle.write('%d\n' % process.pid)

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if read_ready_file(ready_file) is not None:
            print('lab ready (pid %d): %s' % (process.pid, ready_file))
            return 0
        if process.poll() is not None:
            os.unlink(args.pid_file)
            sys.stderr.write('lab exited with status %d before it was ready; log %s:\n%s'
                             % (process.returncode, args.log_file, log_tail(args.log_file)))
            return 1
        time.sleep(POLL_SECONDS)

    sys.stderr.write('lab not ready after %ss; stopping it. Log %s:\n%s'
                     % (args.timeout, args.log_file, log_tail(args.log_file)))
    stop(args)
    return 1


def wait_gone(pid, timeout):
    """Wait up to ``timeout`` seconds for ``pid`` to exit; return True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(POLL_SECONDS)
    return not is_alive(pid)


def cpu_seconds(pid):
    """The CPU seconds (user + system, its own and its waited-for children's) ``pid`` has used, or None."""
    try:
        with open('/proc/%d/stat' % pid, encoding='ascii') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    # proc(5): utime, stime, cutime, cstime are fields 14-17; fields[0] here is field 3 (state).
    return sum(int(value) for value in fields[11:15]) / os.sysconf('SC_CLK_TCK')


def record_cpu(pid, pid_file):
    """Append the lab's CPU seconds to $LAB_CPU_LOG, if set: CI sums them, as a detached lab is nobody's child."""
    log = os.environ.get('LAB_CPU_LOG')
    seconds = cpu_seconds(pid)
    if log and seconds is not None:
        with open(log, 'a', encoding='utf-8') as out:
            out.write('%s %.0f\n' % (os.path.abspath(pid_file), seconds))


def stop(args):
    """Terminate the recorded lab process; return an exit status."""
    pid = read_pid(args.pid_file)
    if pid is None:
        return 0
    status = 0
    if is_lab_process(pid) and is_alive(pid):
        record_cpu(pid, args.pid_file)
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, args.timeout):
            sys.stderr.write('lab (pid %d) ignored SIGTERM for %ss; killing it\n' % (pid, args.timeout))
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, args.timeout)
            status = 1
        else:
            print('lab stopped (pid %d)' % pid)
    os.unlink(args.pid_file)
    return status


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('action', choices=('start', 'stop'))
    parser.add_argument('--state', default='.lab/state', help='lab state directory (start)')
    parser.add_argument('--pid-file', default='.lab/lab.pid')
    parser.add_argument('--log-file', default='.lab/lab.log')
    parser.add_argument('--command', default='exchange-lab', help='lab executable (start)')
    parser.add_argument('--timeout', type=float, default=60.0, help='seconds to wait for start or stop')
    parser.add_argument('lab_args', nargs=argparse.REMAINDER,
                        help='extra arguments for "exchange-lab serve", after --')
    args = parser.parse_args(argv)
    if args.lab_args[:1] == ['--']:
        args.lab_args = args.lab_args[1:]
    return start(args) if args.action == 'start' else stop(args)


if __name__ == '__main__':
    sys.exit(main())
