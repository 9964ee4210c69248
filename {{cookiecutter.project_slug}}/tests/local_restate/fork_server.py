"""Starts the service in milliseconds: imports the app once, then forks a server per request.

``python fork_server.py PACKAGE HYPERCORN_ARGS...``: for each line on stdin (extra environment,
as JSON) it forks a process that runs what ``python -m hypercorn HYPERCORN_ARGS...`` runs, and
prints its PID. Importing the app is most of a start-up (~0.7 s); a fork takes milliseconds, so
tests can kill the service and start it again freely.
"""

import importlib
import json
import os
import signal
import sys


def main() -> None:
    package, hypercorn_args = sys.argv[1], sys.argv[2:]
    importlib.import_module(f"{package}.app")
    from hypercorn.__main__ import main as hypercorn

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap the services it forked
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()  # its own process group, to be killed on its own
            os.dup2(2, 1)  # its output goes to the log, not to the PID pipe
            os.environ.update(json.loads(line))
            os._exit(hypercorn(hypercorn_args))
        print(pid, flush=True)


if __name__ == "__main__":
    main()
