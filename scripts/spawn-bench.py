#!/usr/bin/env python3
"""Time whole processes that read stdin from a file, interleaved, same run.

    spawn-bench.py [--runs N] NAME STDIN PROGRAM [ARGS...] [:: NAME STDIN PROGRAM [ARGS...]]...

Each round runs
every command once, in order: posix_spawn with stdin from STDIN and stdout to /dev/null, then
waitpid; the time is from just before the spawn to just after the wait. `{n}` in a STDIN file
is replaced by the round number (written to a temporary file before the clock starts), so each
round can send, say, a new tool-use id. Prints one line per command: NAME, median ms, p10, p90.
20 warm-up rounds are not counted.
"""
import os
import statistics
import sys
import time

TEMPLATES = {}

def parse(argv):
    runs = 300
    if argv[:1] == ["--runs"]:
        runs, argv = int(argv[1]), argv[2:]
    cmds, current = [], []
    for a in argv + ["::"]:
        if a != "::":
            current.append(a)
            continue
        if len(current) < 3:
            sys.exit("usage: spawn-bench.py [--runs N] NAME STDIN PROGRAM [ARGS...] [:: NAME STDIN PROGRAM ...]")
        cmds.append((current[0], current[1], current[2:]))
        current = []
    return runs, cmds


def once(stdin, args, devnull, n):
    text = TEMPLATES.setdefault(stdin, open(stdin).read())
    if "{n}" in text:
        stdin = stdin + ".round"
        with open(stdin, "w") as f:
            f.write(text.replace("{n}", str(n)))
    fd = os.open(stdin, os.O_RDONLY)
    start = time.perf_counter_ns()
    pid = os.posix_spawn(args[0], args, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0),
                                       (os.POSIX_SPAWN_DUP2, devnull, 1)])
    os.waitpid(pid, 0)
    took = time.perf_counter_ns() - start
    os.close(fd)
    return took


def main():
    runs, cmds = parse(sys.argv[1:])
    devnull = os.open(os.devnull, os.O_WRONLY)
    for n in range(20):
        for _, stdin, args in cmds:
            once(stdin, args, devnull, f"warmup-{n}")
    times = [[] for _ in cmds]
    for n in range(runs):
        for k, (_, stdin, args) in enumerate(cmds):
            times[k].append(once(stdin, args, devnull, n))
    for (name, _, _), t in zip(cmds, times):
        t.sort()
        n = len(t)
        print(f"{name} median {statistics.median(t) / 1e6:.3f} ms  p10 {t[n // 10] / 1e6:.3f}  "
              f"p90 {t[9 * n // 10] / 1e6:.3f}")


if __name__ == "__main__":
    main()
