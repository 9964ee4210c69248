"""Throughput and latency of the generated service, against the config it replaces and the SDK's floor.

    make bench-throughput    (or: python -m bench.throughput [--count N] [--rounds R] [--levels 1,8,32,64])

Bakes the default project and serves its app twice, each copy behind its own fresh
restate-server (the tests' local_restate, with Restate's default 24 partitions), on
127.0.0.1: with the generated hypercorn-config.toml ("generated"), and with the config of
Restate's Python basics examples, which the template replaces ("seed": 8 workers). Next to
the generated app, on the same restate-server and config, it serves bench/bare_counter.py
("floor"). Failure injection off, it makes a fixed number of calls per concurrency level
through each ingress, the configs taking turns, for three workloads:

    greet, many keys   Greeter/<new key>/greet (the floor: BareCounter/<new key>/increment)
    greet, one key     Greeter/hot/greet: one object, so Restate runs the calls one by one
    add                SubscriptionService/add with two subscriptions: three ctx.run steps

It prints calls/s, p50 and p99 latency and the service's CPU seconds per 1,000 calls,
pooled over the rounds, the ratios generated/seed and generated/floor, and in how many
rounds the generated config kept up; it writes bench/results/throughput.png and
throughput.json. Method and recorded results: bench/README.md. Bounded: fixed counts, a
time limit, loopback only, and everything it starts is stopped at the end. Linux only.
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import psutil
from cookiecutter.main import cookiecutter

from local_restate.clients import Admin
from local_restate.ports import free_port
from local_restate.process_group import stop_group
from local_restate.restate_server import RestateServer, find_restate_server
from local_restate.waiting import wait_for, wait_until_serving

TEMPLATE = Path(__file__).resolve().parent.parent
RESULTS = TEMPLATE / "bench" / "results"

# How Restate's Python basics examples serve (the bind is overridden on the command line
# with a free loopback port, as for the generated config).
SEED_CONFIG = """\
bind = "0.0.0.0:9080"
h2_max_concurrent_streams = 2147483647
keep_alive_max_requests = 2147483647
keep_alive_timeout = 2147483647
workers = 8
"""

# Restate's default of 24 partitions, as `npx restate-server` runs (the tests' node config
# sets 4): Restate calls the service over one HTTP/2 connection per partition, so the count
# decides how evenly hypercorn's workers share the calls. RESTATE_* variables override
# restate-server's config file.
RESTATE_ENV = {"RESTATE_DEFAULT_NUM_PARTITIONS": "24"}


@dataclass(frozen=True)
class Workload:
    name: str
    request: Callable[[int], tuple[str, bytes]]  # call number -> (path, JSON body)


WORKLOADS = [
    Workload("greet, many keys", lambda i: (f"/Greeter/key-{i}/greet", b'{"greeting": "Hi"}')),
    Workload("greet, one key", lambda i: ("/Greeter/hot/greet", b'{"greeting": "Hi"}')),
    Workload(
        "add",
        lambda i: (
            "/SubscriptionService/add",
            b'{"user_id": "u%d", "payment_method": "pm_card_visa", "subscriptions": ["Netflix", "Disney+"]}' % i,
        ),
    ),
]
# What the floor serves in place of the first workload: the same calls, on the bare counter.
FLOOR = Workload("increment, many keys", lambda i: (f"/BareCounter/key-{i}/increment", b""))


# -- The processes ---------------------------------------------------------------------


def processes(pid: int) -> list[psutil.Process]:
    """The process and its live descendants."""
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live descendants."""
    used = 0.0
    for process in processes(pid):
        with suppress(psutil.NoSuchProcess):  # exited meanwhile
            times = process.cpu_times()
            used += times.user + times.system
    return used


def cpu_seconds_within(pid: int, seconds: float) -> float:
    """The CPU seconds that the process tree uses in the next ``seconds``."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before


def machine_seconds() -> tuple[float, float]:
    """CPU seconds that all processes on the machine used, and that the hypervisor took (steal)."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq, times.steal


def connections_per_process(pid: int, port: int) -> list[int]:
    """How many of the open TCP connections to ``port`` each process of the tree serves."""
    counts = []
    for process in processes(pid):
        try:
            held = sum(
                c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in process.net_connections("tcp")
            )
        except psutil.NoSuchProcess:
            continue
        counts += [held] if held else []
    return sorted(counts, reverse=True)


class Service:
    """``python -m hypercorn --config <config> <app>``, run in ``cwd``, on a free loopback port."""

    def __init__(self, config: Path, app: str, cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.url, self.log = f"http://127.0.0.1:{self.port}", log
        # Failure injection off; no ledger, no request signing.
        env = {**os.environ, "FAILURE_RATE": "0"}
        for variable in ("FAIL_FIRST_ATTEMPTS", "CRASH_PROCESS", "EXTERNAL_LATENCY_SECONDS", "LEDGER_FILE"):
            env.pop(variable, None)
        env.pop("RESTATE_IDENTITY_KEYS", None)
        command = [sys.executable, "-m", "hypercorn", "--config", str(config), "--bind", f"127.0.0.1:{self.port}", app]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_ready(self) -> None:
        wait_until_serving([f"{self.url}/health"], lambda: self.process.poll() is None, self.log, timeout=60)

        # Restate connects when the first calls come; a worker still booting then gets none.
        # Wait for every worker to boot, as a service does long before its traffic arrives.
        def idle() -> bool:
            return cpu_seconds_within(self.process.pid, 0.5) < 0.05

        wait_for(idle, 60, f"{self.url}: its processes idle", interval=0)

    def stop(self) -> None:
        # SIGINT, as Ctrl+C: hypercorn stops at once (on SIGTERM it waits for Restate's
        # connections to close).
        stop_group(self.process, signal.SIGINT)


class Stack:
    """A restate-server and the baked app (``package``) served with ``config``, and, with
    ``floor``, the bare counter next to it; ``register`` waits for all and registers the services.
    ``running`` stops them."""

    def __init__(
        self, name: str, restate: list[str], config: Path, package: Path, workdir: Path, running: ExitStack, floor: bool
    ) -> None:
        self.name = name
        self.restate = RestateServer(restate, workdir / name)
        running.callback(self.restate.stop)
        with mock.patch.dict(os.environ, RESTATE_ENV):
            self.restate.launch()
        self.ingress_port = self.restate.nodes[0].ingress_port
        self.app = Service(config, f"{package.name}.app:app", package.parent, workdir / f"{name}-service.log")
        running.callback(self.app.stop)
        self.floor = None
        if floor:
            self.floor = Service(config, "bench.bare_counter:app", TEMPLATE, workdir / f"{name}-floor.log")
            running.callback(self.floor.stop)

    @property
    def services(self) -> list[Service]:
        return [self.app, *([self.floor] if self.floor else [])]

    def register(self) -> None:
        self.restate.wait_until_healthy()
        for service in self.services:
            service.wait_until_ready()
            Admin(self.restate).register(service.url)

    def pids(self) -> list[int]:
        """The processes that lead our process trees: restate-server and the services."""
        restate = self.restate.nodes[0].process
        assert restate, "launched in __init__"
        return [restate.pid, *(service.process.pid for service in self.services)]

    def log_tails(self) -> str:
        logs = [self.restate.nodes[0].log, *(service.log for service in self.services)]
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in logs)


@dataclass(frozen=True)
class Target:
    """Where one config's calls of a workload go: a stack's ingress, served by one of its services."""

    config: str
    stack: Stack
    service: Service
    workload: Workload


def targets(stacks: dict[str, Stack], workload: Workload) -> list[Target]:
    """Every config's target for this workload, in the order the stacks started; the floor
    joins the first workload (greet, many keys), as its counterpart on the generated stack."""
    found = [Target(name, stack, stack.app, workload) for name, stack in stacks.items()]
    floor = stacks["generated"].floor
    if workload is WORKLOADS[0] and floor:
        found.append(Target("floor", stacks["generated"], floor, FLOOR))
    return found


# -- The load --------------------------------------------------------------------------


def percentile(latencies: list[float], fraction: float) -> float:
    """In milliseconds."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


@dataclass
class Runs:
    """The calls of one config at one workload and concurrency, pooled over the rounds."""

    latencies: list[float] = field(default_factory=list)  # seconds
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # the service's CPU seconds
    rounds: list[tuple[float, float]] = field(default_factory=list)  # each round's calls/s and p99 ms

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        """In milliseconds."""
        return percentile(self.latencies, fraction)

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / len(self.latencies) * 1000


async def drive(port: int, workload: Workload, calls: Iterator[int], concurrency: int) -> list[float]:
    """Call the ingress from ``concurrency`` keep-alive HTTP/1.1 connections until ``calls``
    runs out; return each call's latency in seconds. A tiny client, so that the load
    generator takes as little as it can of the CPU that the service and Restate share."""
    latencies: list[float] = []

    async def caller() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for call in calls:  # shared by all callers: each call is made once
                path, body = workload.request(call)
                head = f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                head += "content-type: application/json\r\n" if body else ""  # Restate: no body, no type
                started = time.perf_counter()
                writer.write(f"{head}content-length: {len(body)}\r\n\r\n".encode() + body)
                headers = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
                length = next(int(h.split(":", 1)[1]) for h in headers if h.startswith("content-length:"))
                answer = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not headers[0].startswith("http/1.1 200"):
                    raise RuntimeError(f"{path}: {headers[0]} {answer[:300]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies


def measure(target: Target, calls: range, concurrency: int, deadline: float, runs: Runs) -> None:
    """Make the calls at this concurrency and add them to ``runs``; give up at the deadline."""
    pid = target.service.process.pid
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    load = drive(target.stack.ingress_port, target.workload, iter(calls), concurrency)
    try:
        latencies = asyncio.run(asyncio.wait_for(load, deadline - time.monotonic()))
    except TimeoutError:
        raise SystemExit("time limit reached: lower --count or --rounds, or raise --time-limit") from None
    except (OSError, asyncio.IncompleteReadError, RuntimeError) as error:
        message = f"{target.config}, {target.workload.name}: {error!r}\n{target.stack.log_tails()}"
        raise SystemExit(message) from error
    seconds = time.perf_counter() - started
    runs.cpu += cpu_seconds(pid) - cpu_before
    runs.latencies += latencies
    runs.seconds += seconds
    runs.rounds.append((len(latencies) / seconds, percentile(latencies, 0.99)))


# -- The report ------------------------------------------------------------------------

Results = dict[tuple[str, int], dict[str, Runs]]  # (workload, concurrency) -> config -> runs


# The configs each table holds up against the generated one, and their column headings.
BASELINES = {"seed": "seed (8 workers)", "floor": "floor (bare counter)"}


def better(by_config: dict[str, Runs], baseline: str) -> bool:
    """The generated config's throughput is at least the baseline's and its p99 at most the baseline's."""
    generated, other = by_config["generated"], by_config[baseline]
    return generated.throughput >= other.throughput and generated.percentile(0.99) <= other.percentile(0.99)


def rounds_won(by_config: dict[str, Runs], baseline: str) -> tuple[int, int]:
    """In how many rounds the generated config had at least the baseline's calls/s, and at most its p99.

    The configs take turns within a round, so a round compares them under the same
    conditions. When one config is not better, only losing every round counts as worse: with
    six rounds a mere tie does that by chance 1 time in 64 per metric (a sign test)."""
    pairs = list(zip(by_config["generated"].rounds, by_config[baseline].rounds, strict=True))
    return sum(g[0] >= s[0] for g, s in pairs), sum(g[1] <= s[1] for g, s in pairs)


def verdict(by_config: dict[str, Runs], baseline: str) -> str:
    if better(by_config, baseline):
        return "better"
    return "worse" if 0 in rounds_won(by_config, baseline) else "noise"


def table(results: Results, baseline: str) -> str:
    """The generated config against the baseline, at each workload and level that has both."""
    columns = " {:>7} {:>7} {:>7} {:>7} |".format("calls/s", "p50 ms", "p99 ms", "CPU s/k")
    lines = [
        f"{'':<25} | {'generated':^31} | {BASELINES[baseline]:^31} | generated/{baseline}",
        f"{'workload':<17}{'callers':>8} |{columns * 2} calls/s   p99  rounds won",
    ]
    for (workload, callers), by_config in results.items():
        if baseline not in by_config:
            continue
        generated, other = by_config["generated"], by_config[baseline]
        line = f"{workload:<17}{callers:>8} |"
        for runs in (generated, other):
            line += f" {runs.throughput:>7.0f} {runs.percentile(0.5):>7.1f} {runs.percentile(0.99):>7.1f}"
            line += f" {runs.cpu_per_1000:>7.2f} |"
        ratios = generated.throughput / other.throughput, generated.percentile(0.99) / other.percentile(0.99)
        won = "{}+{}/{}".format(*rounds_won(by_config, baseline), len(generated.rounds))
        mark = {"better": "", "noise": "  ~ within the noise", "worse": "  <- worse"}[verdict(by_config, baseline)]
        lines.append(f"{line} {ratios[0]:>5.2f}x {ratios[1]:>5.2f}x {won:>9}{mark}")
    return "\n".join(lines)


def plot(results: Results, levels: list[int], title: str, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plot: matplotlib is missing (pip install --group bench)")
        return
    figure, axes = plt.subplots(2, len(WORKLOADS), figsize=(11, 5.5), sharex=True, layout="constrained")
    for column, workload in enumerate(WORKLOADS):
        for config, style in (("generated", "o-"), ("seed", "s--"), ("floor", "^:")):
            if config not in results[workload.name, levels[0]]:
                continue
            runs = [results[workload.name, level][config] for level in levels]
            label = "generated" if config == "generated" else BASELINES[config]
            axes[0][column].plot(levels, [r.throughput for r in runs], style, label=label)
            axes[1][column].plot(levels, [r.percentile(0.99) for r in runs], style, label=label)
        axes[0][column].set_title(workload.name)
        axes[1][column].set_xscale("log", base=2)
        axes[1][column].set_xticks(levels, [str(level) for level in levels])
        axes[1][column].set_xlabel("concurrent callers")
        for row in (0, 1):
            axes[row][column].set_ylim(bottom=0)
    axes[0][0].set_ylabel("calls/s")
    axes[1][0].set_ylabel("p99 latency (ms)")
    axes[0][0].legend()
    figure.suptitle(title, fontsize=10)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, Python {platform.python_version()}"


# -- The run ---------------------------------------------------------------------------


@dataclass
class Run:
    about: str  # the machine, the server, the counts
    results: Results
    connections: dict[str, list[int]]  # config -> Restate's connections per service process
    others: float  # cores that other processes used meanwhile
    steal: float  # cores that the hypervisor took meanwhile


@dataclass
class Noise:
    """CPU time that the rest of the machine used while the bench measured."""

    seconds: float  # wall clock
    others: float  # CPU seconds of processes that are not ours
    steal: float  # CPU seconds the hypervisor took


def measure_rounds(
    stacks: dict[str, Stack], rounds: range, count: int, levels: list[int], deadline: float, results: Results
) -> Noise:
    """Run ``rounds`` (numbered across phases) of every workload and level on the stacks."""
    trees = [pid for stack in stacks.values() for pid in stack.pids()]

    def ours() -> float:
        return sum(map(cpu_seconds, trees)) + sum(os.times()[:2])

    started, (busy_before, steal_before), ours_before = time.monotonic(), machine_seconds(), ours()
    cells = [(workload, level) for workload in WORKLOADS for level in levels]
    for round_ in rounds:
        for index, (workload, level) in enumerate(cells):
            calls = range((round_ * len(cells) + index) * count, (round_ * len(cells) + index + 1) * count)
            # Alternate which config goes first, so that neither always runs right after the other's load.
            for target in targets(stacks, workload)[:: 1 if (index + round_) % 2 == 0 else -1]:
                measure(target, calls, level, deadline, results[workload.name, level][target.config])
        print(f"  round {round_ + 1} done", flush=True)
    busy, steal = machine_seconds()
    return Noise(time.monotonic() - started, max(0.0, busy - busy_before - ours() + ours_before), steal - steal_before)


def run(restate: list[str], config: Path | None, levels: list[int], count: int, rounds: int, deadline: float) -> Run:
    """Bake, serve and measure; ``restate`` is the command that runs restate-server."""
    version = subprocess.run([*restate, "--version"], capture_output=True, text=True, check=False)
    tmpfs = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="bench-throughput-", dir=tmpfs) as tmp:
        workdir = Path(tmp)
        # cookiecutter leaves its rendered hooks in the temporary directory; let them go with ours.
        tempfile.tempdir, default_tempdir = tmp, tempfile.tempdir
        try:
            project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=tmp))
        finally:
            tempfile.tempdir = default_tempdir
        package = next(project.glob("*/hypercorn-config.toml")).parent
        seed = workdir / "seed-hypercorn.toml"
        seed.write_text(SEED_CONFIG)
        generated = seed if config == Path("seed") else (config or package / "hypercorn-config.toml").resolve()
        configs = {"generated": generated, "seed": seed}
        about = f"{machine()}; {version.stdout.strip() or 'restate-server'}; {rounds} x {count} calls per level"
        print(about, flush=True)

        results: Results = {(w.name, level): defaultdict(Runs) for w in WORKLOADS for level in levels}
        noises: list[Noise] = []
        connections = {}  # of the last phase
        # Two phases on fresh stacks, started in opposite orders: in A/A runs (one config twice)
        # the stack started first was ~4 % slower on one key, for a reason not tracked down.
        # Each config runs half the rounds in either place.
        for phase, order in enumerate((list(configs), list(configs)[::-1])):
            phase_dir = workdir / f"phase-{phase + 1}"
            phase_dir.mkdir()
            with ExitStack() as running:
                stacks = {
                    name: Stack(name, restate, configs[name], package, phase_dir, running, floor=name == "generated")
                    for name in order
                }
                for stack in stacks.values():
                    stack.register()
                # Warm them all up (each of the seed's workers gets calls), then measure.
                for workload in WORKLOADS:
                    for target in targets(stacks, workload):
                        measure(target, range(-200, 0), 16, deadline, Runs())
                phase_rounds = range(phase * (rounds // 2), rounds // 2 if phase == 0 else rounds)
                noises.append(measure_rounds(stacks, phase_rounds, count, levels, deadline, results))
                layout = {t.config: t.service for t in targets(stacks, WORKLOADS[0])}
                connections = {
                    name: connections_per_process(layout[name].process.pid, layout[name].port)
                    for name in (*configs, "floor")
                }
        seconds = sum(noise.seconds for noise in noises)
        others, steal = sum(noise.others for noise in noises), sum(noise.steal for noise in noises)
        return Run(about, results, connections, others / seconds, steal / seconds)


def report(run: Run, levels: list[int]) -> None:
    print(table(run.results, "seed"))
    verdicts = [verdict(by_config, "seed") for by_config in run.results.values()]
    print(
        f"generated >= seed in calls/s and <= seed in p99 at {verdicts.count('better')} of {len(verdicts)} levels;"
        f" within the noise at {verdicts.count('noise')}; worse (lost every round) at {verdicts.count('worse')}"
    )
    rounds = len(next(iter(run.results.values()))["generated"].rounds)
    if rounds < 6:
        print(
            f"(with {rounds} rounds a mere tie loses all of them 1 time in {2**rounds}: 'worse' needs 6 to mean much)"
        )
    # One key lives in one partition, which Restate calls over one connection: one process.
    print("(greet, one key: one connection, so one process in both configs; its ratios show the noise)")
    print("Restate's connections per service process:", ", ".join(f"{k} {v}" for k, v in run.connections.items()))
    noise = f"meanwhile other processes used {run.others:.2f} of {os.cpu_count()} cores, the hypervisor {run.steal:.2f}"
    print(noise + (": the machine was busy, rerun when it is quiet" if run.others + run.steal > 0.2 else ""))
    print()
    print("The serving floor: Greeter/greet of the generated app against a bare counter, many keys, same stack")
    print(table(run.results, "floor"))

    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = [
        {"workload": workload, "callers": callers}
        | {
            name: {"calls_per_s": r.throughput, "p50_ms": r.percentile(0.5), "p99_ms": r.percentile(0.99)}
            | {"cpu_s_per_1000": r.cpu_per_1000, "rounds_calls_per_s_p99_ms": r.rounds}
            for name, r in by_config.items()
        }
        | {f"verdict_vs_{baseline}": verdict(by_config, baseline) for baseline in BASELINES if baseline in by_config}
        for (workload, callers), by_config in run.results.items()
    ]
    summary: dict[str, object] = {"about": run.about, "connections_per_process": run.connections, "results": rows}
    summary |= {"other_cores_busy": run.others, "steal_cores": run.steal}
    (RESULTS / "throughput.json").write_text(json.dumps(summary, indent=1) + "\n")
    title = f"Generated hypercorn config vs the seed's (8 workers) and the bare counter (floor)\n{run.about}"
    plot(run.results, levels, title, RESULTS / "throughput.png")
    print(f"wrote {RESULTS / 'throughput.png'} and {RESULTS / 'throughput.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="calls per workload, level, config and round (200)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds; their calls are pooled (6)")
    parser.add_argument("--levels", default="1,8,32,64", help="concurrent callers (1,8,32,64)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds until it gives up (600)")
    parser.add_argument(
        "--config",
        type=Path,
        help="measure this hypercorn config instead of the generated one ('seed': the seed's own, for the noise floor)",
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    if args.config and args.config != Path("seed") and not args.config.is_file():
        parser.error(f"--config {args.config}: no such file")
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: each config runs half of them in either place")
    try:
        restate = find_restate_server(TEMPLATE)
    except LookupError as missing:  # no restate-server, and how to get one
        raise SystemExit(str(missing)) from None
    started = time.monotonic()
    report(run(restate, args.config, levels, args.count, args.rounds, started + args.time_limit), levels)
    print(f"took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
