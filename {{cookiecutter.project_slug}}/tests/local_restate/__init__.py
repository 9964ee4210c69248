"""A real restate-server and this project's service, as local processes, for tests.

No Docker: restate-server is a single binary (npm package ``@restatedev/restate-server``).
Everything binds to 127.0.0.1 on free ports, lives in a temporary directory, runs in its own
process group and is stopped by its PID.

- ``clients``: what a test talks to: Restate's ingress and admin API, and the ledger the
  stand-in external systems write. Start here when you write a test.
- ``restate_server``: find, configure, start, restart and stop one node or a cluster.
- ``service_process``: this project's service, in a process a test may kill and start again.
- ``local_http``: HTTP requests to these processes, without httpx's cost per new client.
- ``waiting``: ``wait_for``, the one way these modules wait for something to happen.
"""
