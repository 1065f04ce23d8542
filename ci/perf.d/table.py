#!/usr/bin/env python3
"""ci/perf's tables from its measurements.

Usage: table.py RESULTS.tsv RUNS
RESULTS lines: LIB(ours|ref) <TAB> "GROUP SIZE KIND" <TAB> METRIC <TAB> VALUE|fail.
Prints two markdown tables: speed (median and min-max of the runs) and cost
per message (medians).  Exit 3 if no reference run succeeded.
"""
import statistics
import sys
from collections import OrderedDict

UNIT = {"thr": "msg/s", "lat": "latency us", "rtt": "round trips/s", "fanout": "deliveries/s"}
ROLE_ORDER = ["recv", "send", "echo", "ping", "proc"]


def size_label(size):
    size = int(size)
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10} KiB"
    return f"{size} B"


def row_label(row):
    group, size, kind = row.split()
    extra = {"broker": " (4 REQ, 2 REP)", "pubsub": " (10 SUB)"}.get(group, "")
    return f"{group}{extra} {size_label(size)}"


def num(x, digits=3):
    if x is None:
        return "fail"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}"


def median(xs):
    return statistics.median(xs) if xs else None


def main():
    path = sys.argv[1]
    vals = OrderedDict()  # row -> metric -> lib -> [values]
    for line in open(path):
        lib, row, metric, v = line.rstrip("\n").split("\t")
        vals.setdefault(row, OrderedDict()).setdefault(metric, {"ours": [], "ref": []})[lib].append(v)

    def floats(xs):
        # a library that failed any run of a row is reported as "fail"
        return None if not xs or "fail" in xs else [float(x) for x in xs]

    print("| row | metric | ours median | ours min-max | libzmq median | libzmq min-max | ratio ours/libzmq |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    ref_ok = False
    for row, metrics in vals.items():
        kind = row.split()[2]
        for metric in ("rate", "lat"):
            if metric not in metrics:
                continue
            o, r = floats(metrics[metric]["ours"]), floats(metrics[metric]["ref"])
            ref_ok |= r is not None
            mo, mr = (median(o) if o else None), (median(r) if r else None)
            spread = lambda xs: f"{num(min(xs))}-{num(max(xs))}" if xs else "-"
            ratio = f"{mo / mr:.2f}" if mo is not None and mr else "-"
            print(f"| {row_label(row)} | {UNIT[kind]} | {num(mo)} | {spread(o)} | {num(mr)} | {spread(r)} | {ratio} |")

    print()
    print("Cost per message (per round trip for the broker, per delivery for pub/sub), medians;")
    print("CPU = task-clock of the process (all threads), sys = system calls, cs = context")
    print("switches (voluntary + involuntary), instr = instructions (callgrind, N - N/5 runs).")
    print("recv/send: the two processes of a tcp/ipc row; proc: a one-process row.")
    print()
    print("| row | process | CPU ns ours | CPU ns libzmq | CPU ratio | sys ours | sys libzmq "
          "| cs ours | cs libzmq | instr ours | instr libzmq | instr ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row, metrics in vals.items():
        if row.split()[2] == "lat":
            continue
        roles = sorted({m.split(":")[1] for m in metrics if ":" in m}, key=ROLE_ORDER.index)
        for role in roles:
            def med(metric, lib):
                xs = metrics.get(f"{metric}:{role}", {}).get(lib, [])
                xs = [float(x) for x in xs if x != "fail"]
                return median(xs)

            cells = []
            for metric, digits in (("cpu", 3), ("sys", 3), ("cs", 3), ("ir", 3)):
                o, r = med(metric, "ours"), med(metric, "ref")
                cells += [num(o, digits) if o is not None else "-", num(r, digits) if r is not None else "-"]
                if metric in ("cpu", "ir"):
                    cells.append(f"{o / r:.2f}" if o is not None and r else "-")
            print(f"| {row_label(row)} | {role} | " + " | ".join(cells) + " |")
    return 0 if ref_ok else 3


if __name__ == "__main__":
    sys.exit(main())
