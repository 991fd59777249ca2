"""The course's own Python examples, timed the way the harness times its
workloads, so harness/suite can print CPython's figures beside the harness's.

Each example mirrors one harness workload, operation for operation:

  cpu     one operation sums the squares of 1000 consecutive integers from the
          worker's own range (harness/workloads/cpu.c); in threads (the GIL's
          counterpart) and in processes (multiprocessing, fork: the process
          regime's), the clock running from before the first start until the
          last result is back, as the harness's process regime does
  io      one operation is a 1 ms blocking poll() on a pipe nobody writes
          (harness/workloads/io.c), in threads
  convoy  one thread serves requests, each a 2 ms blocking poll(), and
          measures how late it runs again after the data was due, beside one
          CPU-bound thread, at a given sys.setswitchinterval
          (harness/workloads/convoy.c)

usage: course.py REGIME REPETITION SPEC...
  REGIME      the regime name written in the rows: cpython (threads under the
              GIL), cpython-mp (processes) or cpython-ft (threads of a
              free-threaded build)
  SPEC        cpu:WORKERS:OPS, io:WORKERS:OPS or convoy:INTERVAL_US:OPS;
              cpython-mp runs the cpu specs only
Prints one row per spec in tidy.csv's columns (no header), e.g.
  cpu,cpython,2,none,5000,0,1,800,0.094,17021,,0,,,,0,,,
"""
import multiprocessing
import os
import select
import sys
import threading
import time

SPAN = 1000
IO_WAIT_MS = 1
CONVOY_WAIT_MS = 2


def squares(base):
    total = 0
    for x in range(base, base + SPAN):
        total += x * x
    return total


def cpu_worker(index, ops, out):
    total = 0
    for op in range(ops):
        total += squares((index * ops + op) * SPAN)
    out[index] = total


def cpu_child(index, ops, conn):
    out = {}
    cpu_worker(index, ops, out)
    conn.send((index, out[index]))
    conn.close()


def expected(workers, ops):
    n = workers * ops * SPAN
    return (n - 1) * n * (2 * n - 1) // 6 if n else 0


def run_threads(target, workers, args):
    """Starts the workers behind a gate and times them from its opening."""
    gate = threading.Barrier(workers + 1)

    def body(i):
        gate.wait()
        target(i, *args)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(workers)]
    for t in ts:
        t.start()
    gate.wait()
    t0 = time.monotonic()
    for t in ts:
        t.join()
    return time.monotonic() - t0


def cpu_threads(workers, ops):
    out = [0] * workers
    secs = run_threads(cpu_worker, workers, (ops, out))
    check("cpu", sum(out), expected(workers, ops))
    return secs


def cpu_processes(workers, ops):
    ctx = multiprocessing.get_context("fork")
    sys.stdout.flush()
    t0 = time.monotonic()
    pipes, procs = [], []
    for i in range(workers):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=cpu_child, args=(i, ops, w))
        p.start()
        w.close()
        pipes.append(r)
        procs.append(p)
    total = sum(r.recv()[1] for r in pipes)
    secs = time.monotonic() - t0
    for p in procs:
        p.join()
    check("cpu", total, expected(workers, ops))
    return secs


def io_threads(workers, ops):
    done = [0] * workers

    def worker(i, n):
        rfd, wfd = os.pipe()
        poller = select.poll()
        poller.register(rfd, select.POLLIN)
        for _ in range(n):
            poller.poll(IO_WAIT_MS)  # the GIL is released around the wait
            done[i] += 1
        os.close(rfd)
        os.close(wfd)

    secs = run_threads(worker, workers, (ops,))
    check("io", sum(done), workers * ops)
    return secs


def convoy(interval_us, ops):
    """Returns the latencies (us) of the I/O thread's answers."""
    sys.setswitchinterval(interval_us / 1e6)
    stop = threading.Event()
    late = []

    def io_thread():
        rfd, wfd = os.pipe()
        poller = select.poll()
        poller.register(rfd, select.POLLIN)
        for _ in range(ops):
            due = time.monotonic() + CONVOY_WAIT_MS / 1e3
            poller.poll(CONVOY_WAIT_MS)
            late.append((time.monotonic() - due) * 1e6)
        os.close(rfd)
        os.close(wfd)
        stop.set()

    def cpu_thread():
        base = 0
        while not stop.is_set():
            squares(base)
            base += SPAN

    c = threading.Thread(target=cpu_thread)
    c.start()
    t0 = time.monotonic()
    io_thread()
    secs = time.monotonic() - t0
    c.join()
    sys.setswitchinterval(0.005)
    return secs, sorted(late)


def check(what, got, want):
    if got != want:
        sys.exit(f"course.py: {what}: total {got}, expected {want}")


def pct(xs, q):
    # the harness's rule (harness/regime.c): the nearest rank
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def row(workload, regime, workers, interval, rep, ops, secs, p50="", p99="", pmax=""):
    rate = ops / secs if secs > 0 else 0
    return (f"{workload},{regime},{workers},none,{interval},0,{rep},{ops},{secs:.6f},{rate:.1f},,0,"
            f"{p50},{p99},{pmax},0,,,")


def main(argv):
    if len(argv) < 3 or argv[0] not in ("cpython", "cpython-mp", "cpython-ft") or not argv[1].isdigit():
        sys.exit("course.py: usage: course.py cpython|cpython-mp|cpython-ft REPETITION SPEC...")
    regime, rep = argv[0], int(argv[1])
    # warm-up, as the harness has one: the first timed run should not pay
    # for the interpreter's first specialisation of the loop
    for i in range(50):
        squares(i * SPAN)
    for spec in argv[2:]:
        parts = spec.split(":")
        if len(parts) != 3 or parts[0] not in ("cpu", "io", "convoy") or not all(p.isdigit() and int(p) > 0 for p in parts[1:]):
            sys.exit(f"course.py: bad spec '{spec}' (cpu:WORKERS:OPS, io:WORKERS:OPS, convoy:INTERVAL_US:OPS)")
        kind, a, ops = parts[0], int(parts[1]), int(parts[2])
        # threads under a GIL run at the default switch interval, as the
        # harness's gil rows at 5000 us
        iv = 5000 if regime == "cpython" else 0
        if regime == "cpython-mp":
            if kind == "cpu":
                print(row("cpu", regime, a, 0, rep, a * ops, cpu_processes(a, ops)))
        elif kind == "cpu":
            print(row("cpu", regime, a, iv, rep, a * ops, cpu_threads(a, ops)))
        elif kind == "io":
            print(row("io", regime, a, iv, rep, a * ops, io_threads(a, ops)))
        else:
            secs, late = convoy(a, ops)
            print(row("convoy", regime, 2, a if regime == "cpython" else 0, rep, ops, secs,
                      f"{pct(late, 0.5):.1f}", f"{pct(late, 0.99):.1f}", f"{late[-1]:.1f}"))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
