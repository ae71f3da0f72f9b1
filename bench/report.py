#!/usr/bin/env python3
"""Turns the raw results of bench/run.sh into bench/RESULTS.md and prints the
summary table. Every figure is the median of the runs (each metric's median
taken separately). Standard library only."""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess

CONNS = [1, 8, 32, 64]
WORKLOADS = ["search", "verify", "reveal", "create", "find_or_create"]


def parse_kv_lines(path):
    """Lines of key=value words -> list of dicts (numbers as floats)."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            d = {}
            for word in line.split():
                if "=" in word:
                    k, v = word.split("=", 1)
                    try:
                        d[k] = float(v)
                    except ValueError:
                        d[k] = v
            if d:
                rows.append(d)
    return rows


def kv_file(path):
    out = {}
    for row in parse_kv_lines(path):
        out.update(row)
    return out


def med(rows, key):
    vals = [r[key] for r in rows if isinstance(r.get(key), float)]
    return statistics.median(vals) if vals else None


def summary(rows):
    """Median of every numeric metric over the runs, plus CPU ms per request."""
    if not rows:
        return None
    keys = set()
    for r in rows:
        keys.update(k for k, v in r.items() if isinstance(v, float))
    s = {k: med(rows, k) for k in keys}
    per_req = [r["cpu_s"] * 1000.0 / r["requests"] for r in rows
               if r.get("cpu_s") is not None and r.get("requests")]
    s["cpu_ms_per_req"] = statistics.median(per_req) if per_req else None
    s["runs"] = len(rows)
    return s


def fmt(v, digits=1, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 1000 and digits <= 1:
        return f"{v:,.0f}{unit}"
    return f"{v:.{digits}f}{unit}"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.{digits}f}x"


def verdict(ok):
    if ok is None:
        return "n/a"
    return "met" if ok else "**missed**"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        return ""


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "nproc": sh("nproc"),
        "cpu": cpu or platform.processor(),
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "disk": " ".join(sh("df -h --output=source,fstype / | tail -1").split()),
    }


def floor_results(path):
    """Google Benchmark JSON -> {name: {items_per_second, real_ns, cpu_ns}} (medians)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name") not in (None, "median"):
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "iteration" and name in out:
            continue
        unit = scale.get(b.get("time_unit", "ns"), 1)
        out[name] = {
            "items_per_second": b.get("items_per_second"),
            "real_ns": b.get("real_time", 0) * unit,
            "cpu_ns": b.get("cpu_time", 0) * unit,
        }
        for counter in ("writes_per_commit", "writes_per_fsync"):
            if isinstance(b.get(counter), (int, float)):
                out[name][counter] = float(b[counter])
    return out


GC_OPS = [("Create", "create (durable, with its audit entry)"),
          ("Reveal", "reveal of one field (audit entry durable first)")]
GC_THREADS = [1, 32]


def group_commit_results(results_dir):
    """bench/run.sh runs bench_floor's GroupCommit/<op>/* benchmarks in processes
    alternating on (gc-on-<op>-r<i>.json) and off (gc-off-<op>-r<i>.json,
    BENCH_GROUP_COMMIT=0).
    -> {(op, threads, "on"|"off"): {metric: median over the runs, "runs": n}}"""
    out = {}
    for mode in ("on", "off"):
        per = {}
        for path in sorted(glob.glob(f"{results_dir}/gc-{mode}-*.json")):
            try:
                found = floor_results(path)
            except (OSError, ValueError):
                continue  # a run that died mid-write
            for name, v in found.items():
                per.setdefault(name, []).append(v)
        for op, _ in GC_OPS:
            for t in GC_THREADS:
                runs = per.get(f"GroupCommit/{op}/{mode}/real_time/threads:{t}", [])
                if not runs:
                    continue
                s = {"runs": len(runs)}
                for k in ("items_per_second", "real_ns", "writes_per_commit", "writes_per_fsync"):
                    vals = [r[k] for r in runs if isinstance(r.get(k), float)]
                    s[k] = statistics.median(vals) if vals else None
                out[(op, t, mode)] = s
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--customers", type=int, required=True)
    ap.add_argument("--duration", type=int, required=True)
    ap.add_argument("--soak", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--threads", default="16")
    ap.add_argument("--build", default="build-bench")
    a = ap.parse_args()
    R = a.results
    N = a.customers

    wl = {}
    for w in WORKLOADS:
        for c in CONNS:
            wl[(w, c)] = summary(parse_kv_lines(f"{R}/wrk-{w}-c{c}.txt"))
    healthz = summary(parse_kv_lines(f"{R}/wrk-healthz-c32.txt"))
    pg = {}
    for s in ("lookup", "lookup_audit", "insert"):
        for c in CONNS:
            pg[(s, c)] = summary(parse_kv_lines(f"{R}/pg-{s}-c{c}.txt"))
    whatif = {}
    for w in ("healthz", "search", "create"):
        for c in (32, 64):
            whatif[(w, c)] = summary(parse_kv_lines(f"{R}/whatif-{w}-c{c}.txt"))
    floor = floor_results(f"{R}/floor.json")
    gc = group_commit_results(R)
    rot = parse_kv_lines(f"{R}/rotation.txt")
    rot_before = summary(parse_kv_lines(f"{R}/rotation-before.txt"))
    rot_during = summary(parse_kv_lines(f"{R}/rotation-during.txt"))
    mem = kv_file(f"{R}/memory.txt")
    load = kv_file(f"{R}/load.txt")
    soak = summary(parse_kv_lines(f"{R}/soak.txt"))
    soak_rss = []
    if os.path.exists(f"{R}/soak-rss.txt"):
        with open(f"{R}/soak-rss.txt") as f:
            soak_rss = [tuple(int(x) for x in line.split()) for line in f if line.strip()]
    pg_settings = open(f"{R}/pg-settings.txt").read().split() if os.path.exists(
        f"{R}/pg-settings.txt") else []
    loadavg = open(f"{R}/loadavg.txt").read().strip() if os.path.exists(
        f"{R}/loadavg.txt") else ""

    def g(s, k):
        return s.get(k) if s else None

    m = machine()
    # What was measured: the tree as it was when the run started.
    info = {}
    if os.path.exists(f"{R}/run-info.txt"):
        for line in open(f"{R}/run-info.txt"):
            k, _, v = line.rstrip("\n").partition("=")
            info[k] = v
    commit = info.get("commit") or sh("git rev-parse --short=12 HEAD")
    dirty = info.get("dirty") or sh("git status --porcelain --untracked-files=no | wc -l")
    date = info.get("date") or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")

    # --- the targets ---
    fl1 = floor.get("Floor/FindByEmail2/real_time/threads:1", {})
    fl2 = floor.get("Floor/FindByEmail2/real_time/threads:2", {})
    s32 = wl.get(("search", 32))
    c32 = wl.get(("create", 32))
    hz = g(healthz, "rps")
    s_rps = g(s32, "rps")
    rot_secs = statistics.median([r["server_seconds"] for r in rot]) if rot else None
    rot_recs = statistics.median([r["records"] for r in rot]) if rot else None
    rot_rate = (rot_recs / rot_secs) if rot_secs else None
    rot_1m = (1_000_000 / rot_rate) if rot_rate else None
    p99_before, p99_during = g(rot_before, "p99_ms"), g(rot_during, "p99_ms")
    rss_loaded = max(v for v in [mem.get("rss_loaded_after_workloads_kib"),
                                 mem.get("rss_soak_end_kib"), mem.get("rss_loaded_idle_kib"),
                                 0] if v is not None)
    rss0 = mem.get("rss_soak_start_kib")
    rss1 = mem.get("rss_soak_end_kib")
    drift = ((rss1 - rss0) / rss0 * 100.0) if rss0 and rss1 else None
    mib = lambda kib: kib / 1024.0 if kib else None  # noqa: E731

    rows = []  # (figure, measured, target, ratio, verdict)
    rows.append(("In-process floor: FindByEmail, 2 fields, 1 thread",
                 f"{fmt(fl1.get('items_per_second'))}/s ({fmt(fl1.get('cpu_ns', 0) / 1000, 1)} µs CPU)",
                 "reference", "", ""))
    rows.append(("In-process floor: same, 2 threads",
                 f"{fmt(fl2.get('items_per_second'))}/s", "reference", "", ""))
    rows.append(("HTTP ceiling: /healthz, 32 connections", f"{fmt(hz)}/s", "reference", "", ""))
    rows.append(("Search, 32 conn: rate vs /healthz", f"{fmt(s_rps)}/s", "≥ 50% of /healthz",
                 ratio(s_rps, hz), verdict(s_rps is not None and hz and s_rps >= 0.5 * hz)))
    rows.append(("Search, 32 conn: rate vs in-process floor (2 threads)", f"{fmt(s_rps)}/s",
                 "reference", ratio(s_rps, fl2.get("items_per_second")), ""))
    rows.append(("Search, 32 conn: p99", fmt(g(s32, "p99_ms"), 2, " ms"), "≤ 10 ms",
                 ratio(g(s32, "p99_ms"), 10.0), verdict(g(s32, "p99_ms") is not None and
                                                        g(s32, "p99_ms") <= 10.0)))
    rows.append(("Search, 32 conn: stalls ≥ 40 ms (max latency)",
                 f"{fmt(g(s32, 'stalls'), 0)} ({fmt(g(s32, 'max_ms'), 1, ' ms')})", "none",
                 "", verdict(g(s32, "stalls") is not None and g(s32, "stalls") == 0)))
    rows.append(("Durable creates, 32 conn", f"{fmt(g(c32, 'rps'))}/s", "≥ 3,000/s",
                 ratio(g(c32, "rps"), 3000.0), verdict(g(c32, "rps") is not None and
                                                       g(c32, "rps") >= 3000)))
    for op, label in (("Create", "durable creates"), ("Reveal", "reveals")):
        on = (gc.get((op, 32, "on")) or {}).get("items_per_second")
        off = (gc.get((op, 32, "off")) or {}).get("items_per_second")
        rows.append((f"Group commit gain: {label}, 32 threads in process, on vs off",
                     f"{fmt(on)}/s vs {fmt(off)}/s", "gain (issue 4)", ratio(on, off), ""))
    rows.append((f"Rotation: rewrap {fmt(rot_recs)} DEKs under search load",
                 f"{fmt(rot_secs, 1, ' s')} ({fmt(rot_rate)}/s)",
                 "1,000,000 in ≤ 30 s", f"{fmt(rot_1m, 1)} s per 1M" if rot_1m else "n/a",
                 verdict(rot_1m is not None and rot_1m <= 30)))
    rows.append(("Rotation: search p99 during / before", f"{fmt(p99_during, 2)} / "
                 f"{fmt(p99_before, 2)} ms", "≤ 2x", ratio(p99_during, p99_before),
                 verdict(p99_during is not None and p99_before and p99_during <= 2 * p99_before)))
    rows.append((f"RSS at {N:,} customers (max seen)", fmt(mib(rss_loaded), 1, " MiB"), "≤ 128 MiB",
                 ratio(mib(rss_loaded), 128.0), verdict(rss_loaded and mib(rss_loaded) <= 128)))
    rows.append((f"RSS drift over {a.soak} s mixed load", fmt(drift, 1, "%"), "≤ 5%", "",
                 verdict(drift is not None and drift <= 5)))
    for c in CONNS:
        ours, peer = g(wl.get(("search", c)), "rps"), g(pg.get(("lookup", c)), "rps")
        rows.append((f"vs PostgreSQL: lookup+decrypt, {c} conn", f"{fmt(ours)}/s vs {fmt(peer)}/s",
                     "ahead (> 1x)", ratio(ours, peer),
                     verdict(ours is not None and peer and ours > peer)))
    for c in CONNS:
        ours, peer = g(wl.get(("create", c)), "rps"), g(pg.get(("insert", c)), "rps")
        rows.append((f"vs PostgreSQL: insert, {c} conn", f"{fmt(ours)}/s vs {fmt(peer)}/s",
                     "ahead (> 1x)", ratio(ours, peer),
                     verdict(ours is not None and peer and ours > peer)))

    table = ["| Figure | Measured (median of %d) | Target | Ratio | |" % a.runs,
             "|---|---|---|---|---|"]
    for r in rows:
        table.append("| " + " | ".join(r) + " |")
    table_md = "\n".join(table)

    out = []
    out.append("# Contact Vault benchmarks\n")
    out.append("Written by `make bench` (bench/run.sh, bench/report.py). Do not edit by hand: "
               "the next run overwrites it. The analysis at the end comes from "
               "bench/ANALYSIS.md.\n")
    out.append(f"- Date: {date} (start of the run); commit `{commit}`" +
               (f" plus uncommitted changes to {dirty} tracked files (the working tree was "
                "built and measured)" if dirty not in ("", "0") else "") +
               ("; **quick mode** (BENCH_QUICK=1)" if a.quick == "1" else ""))
    out.append(f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, "
               f"disk {m['disk']}")
    if loadavg:
        out.append(f"- Load average (1/5/15 min) at start and end: {loadavg}. The machine is "
                   "shared: absolute rates drift with other tenants' load; the ratios of figures "
                   "measured in the same minute hold better.")
    out.append(f"- Customers: {N:,}, each with email, phone and name; every figure is the median "
               f"of {a.runs} runs of {a.duration} s (wrk, pgbench) or {a.runs} repetitions "
               "(Google Benchmark).")
    out.append(f"- Loading: {N:,} customers in {fmt(load.get('load_seconds'), 1, ' s')} "
               f"({fmt(N / load['load_seconds'] if load.get('load_seconds') else None)}/s) in "
               "process through CustomerService::Create from 256 threads (group commit), each "
               "create with its audit entry in the same transaction; database "
               f"{fmt((load.get('db_bytes') or 0) / 2**20, 0)} MiB. PostgreSQL loaded the same "
               f"customers in {fmt(load.get('pg_load_seconds'), 1, ' s')} (two INSERT…SELECT "
               f"sessions, then the index), {fmt((load.get('pg_bytes') or 0) / 2**20, 0)} MiB.\n")
    out.append("## Summary\n")
    out.append(table_md + "\n")

    # --- workloads ---
    out.append("## Server workloads (wrk, HTTPS, keep-alive)\n")
    out.append("Server CPU is the server process's user+system time over the run divided by "
               "the requests it answered: a per-request cost that does not depend on how much "
               "of the shared machine the server got.\n")
    out.append("| Workload | Conn | Requests/s | p50 ms | p99 ms | p99.9 ms | max ms | "
               "≥ 40 ms | non-2xx | server CPU ms/req |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    out.append(f"| /healthz | 32 | {fmt(g(healthz, 'rps'))} | {fmt(g(healthz, 'p50_ms'), 2)} | "
               f"{fmt(g(healthz, 'p99_ms'), 2)} | {fmt(g(healthz, 'p999_ms'), 2)} | "
               f"{fmt(g(healthz, 'max_ms'), 1)} | {fmt(g(healthz, 'stalls'), 0)} | "
               f"{fmt(g(healthz, 'non2xx'), 0)} | {fmt(g(healthz, 'cpu_ms_per_req'), 3)} |")
    for w in WORKLOADS:
        for c in CONNS:
            s = wl.get((w, c))
            out.append(f"| {w} | {c} | {fmt(g(s, 'rps'))} | {fmt(g(s, 'p50_ms'), 2)} | "
                       f"{fmt(g(s, 'p99_ms'), 2)} | {fmt(g(s, 'p999_ms'), 2)} | "
                       f"{fmt(g(s, 'max_ms'), 1)} | {fmt(g(s, 'stalls'), 0)} | "
                       f"{fmt(g(s, 'non2xx'), 0)} | {fmt(g(s, 'cpu_ms_per_req'), 3)} |")
    out.append("")
    out.append("- search: `POST /v1/customers/search {\"email\"}` as a `pos` service account "
               "(masked result, durable audit entry, last-seen touch); verify: "
               "`POST /v1/customers/{id}/verify {\"email\"}`; reveal: "
               "`POST /v1/customers/{id}/reveal {\"fields\":[\"phone\"],\"reason\"}` as one of "
               "64 `support` employees in turn; create: `POST /v1/customers` with a new email, "
               "phone and name; find_or_create: `POST /v1/customers/find-or-create`, half "
               "returning customers and half new. Lookups take the next customer of a shuffled "
               "50,000-customer sample of the loaded ones; every create uses a new address.\n")

    # --- floor ---
    out.append("## In-process floor (Google Benchmark, no HTTP)\n")
    out.append("| Benchmark | Rate (median) | Wall time/op | CPU time/op |")
    out.append("|---|---|---|---|")
    for name, v in floor.items():
        out.append(f"| {name} | {fmt(v.get('items_per_second'))}/s | "
                   f"{fmt(v['real_ns'] / 1000, 2)} µs | {fmt(v['cpu_ns'] / 1000, 2)} µs |")
    out.append("")
    out.append("Floor/FindByEmail2 is CustomerService::FindByEmail decrypting email and name: "
               "normalize + blind index, row fetch from a pooled SQLite reader, DEK unwrap, two "
               "field opens. FindByEmail3 decrypts the three fields a `pos` search shows. Part/* "
               "time each step alone. Service/Search is AccessService::Search (policy, lookup "
               "limit, masking, last-seen touch and the durable audit entry through group "
               "commit); GroupCommit/*/on are the durable create and reveal of the next "
               "section. For threaded runs the rate is the total over all threads and CPU time "
               "is the main thread's.\n")

    # --- group commit ---
    if gc:
        gc_runs = max(s["runs"] for s in gc.values())
        out.append("## Group commit on/off (in process, durable writes)\n")
        out.append("| Operation | Threads | with group commit/s | without/s | on/off | "
                   "writes per fsync (on / off) | writes per commit (on / off) |")
        out.append("|---|---|---|---|---|---|---|")
        for op, what in GC_OPS:
            for t in GC_THREADS:
                on, off = gc.get((op, t, "on")) or {}, gc.get((op, t, "off")) or {}
                out.append(f"| {what} | {t} | {fmt(on.get('items_per_second'))} | "
                           f"{fmt(off.get('items_per_second'))} | "
                           f"{ratio(on.get('items_per_second'), off.get('items_per_second'))} | "
                           f"{fmt(on.get('writes_per_fsync'), 1)} / "
                           f"{fmt(off.get('writes_per_fsync'), 1)} | "
                           f"{fmt(on.get('writes_per_commit'), 1)} / "
                           f"{fmt(off.get('writes_per_commit'), 1)} |")
        out.append("")
        out.append("bench_floor's GroupCommit/Create and GroupCommit/Reveal drive "
                   "AccessService::Create (new customer and its audit entry in one "
                   "transaction, as `pos`) and AccessService::Reveal (the phone of a loaded "
                   "customer with a reason, as `support`, one principal per thread; the quota "
                   "check and the audit entry in one transaction, durable before the plaintext "
                   "is returned) on the loaded vault, with no HTTP. *With*: the store as the "
                   "server runs it, concurrent writes sharing one transaction and one fsync. "
                   "*Without*: StoreOptions::group_commit = false (BENCH_GROUP_COMMIT=0), one "
                   "write per transaction and the writer waiting for that transaction's fsync "
                   "before the next: one commit and one fsync per write. One store per file, so "
                   "each mode is its own process; on and off alternate per operation, "
                   f"{gc_runs} runs each, and each figure is the median. Writes per "
                   "fsync and per commit come from the store's own counters. At 1 thread both "
                   "modes make one fsync per write, so the ratio is 1x up to the shared disk's "
                   "fsync jitter; the gain is at 32 threads.\n")

    # --- peer ---
    out.append("## Against PostgreSQL 15 + pgcrypto (pgbench, prepared statements)\n")
    out.append("| Conn | vault search/s | PG lookup+decrypt/s | ratio | vault p99 ms | PG p99 ms | "
               "PG lookup+decrypt+audit/s | ratio | vault create/s | PG insert/s | ratio | "
               "vault p99 ms | PG p99 ms |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in CONNS:
        vs, pl, pa = wl.get(("search", c)), pg.get(("lookup", c)), pg.get(("lookup_audit", c))
        vc, pi = wl.get(("create", c)), pg.get(("insert", c))
        out.append(f"| {c} | {fmt(g(vs, 'rps'))} | {fmt(g(pl, 'rps'))} | "
                   f"{ratio(g(vs, 'rps'), g(pl, 'rps'))} | {fmt(g(vs, 'p99_ms'), 2)} | "
                   f"{fmt(g(pl, 'p99_ms'), 2)} | {fmt(g(pa, 'rps'))} | "
                   f"{ratio(g(vs, 'rps'), g(pa, 'rps'))} | {fmt(g(vc, 'rps'))} | "
                   f"{fmt(g(pi, 'rps'))} | {ratio(g(vc, 'rps'), g(pi, 'rps'))} | "
                   f"{fmt(g(vc, 'p99_ms'), 2)} | {fmt(g(pi, 'p99_ms'), 2)} |")
    out.append("")
    out.append("The peer's configuration (started by the script on 127.0.0.1 with its own "
               "data directory, stopped afterwards):\n")
    out.append("- Schema: `customers(id text primary key, email_hmac bytea unique, email_ct, "
               "phone_ct, name_ct bytea, created_at, last_seen_at)`; lookup by "
               "`hmac(lower(trim(email)), key, 'sha256')` through the unique index; every field "
               "`pgp_sym_encrypt(value, key, 'cipher-algo=aes256, s2k-mode=1')` (salted, "
               "non-iterated S2K: the key is 256 random bits, so pgcrypto's default iterated S2K "
               "would only slow it down); ids random like ours (`cus_` + 32 hex). bench/pg/*.sql.")
    out.append("- Server settings: `" + " ".join(pg_settings) + "` — durable like the vault "
               "(fsync, synchronous_commit and full_page_writes on), shared_buffers holding the "
               "table and indexes, checkpoints spaced out, JIT off for short queries.")
    out.append("- pgbench: `-M prepared`, 2 client threads (1 for 1 connection), TCP to "
               "127.0.0.1 without TLS (the vault answers over TLS), same connection counts and "
               "durations. lookup decrypts the same three fields our search returns (masked); "
               "insert is a durable single-row INSERT with the unique HMAC check. "
               "lookup+decrypt+audit (a reference, not a target) adds the durable work our "
               "search does: touch last_seen_at and insert an audit row in the same committed "
               "transaction.\n")

    # --- rotation ---
    out.append("## Rotation (data-key rewrap) under search load\n")
    out.append("`POST /v1/admin/keys/rotate {\"purpose\":\"data\"}` then "
               "`GET /v1/admin/keys/rotation` every 250 ms until done, while wrk searches at 32 "
               "connections; duration from the job's own started_at/finished_at. Before: a "
               f"{a.duration} s search run just before each rotation.\n")
    out.append("| Run | DEKs rewrapped | Seconds | DEKs/s | wall s (incl. polling) |")
    out.append("|---|---|---|---|---|")
    for i, r in enumerate(rot, 1):
        out.append(f"| {i} | {fmt(r.get('records'))} | {fmt(r.get('server_seconds'), 1)} | "
                   f"{fmt(r['records'] / r['server_seconds'] if r.get('server_seconds') else None)}"
                   f" | {fmt(r.get('wall_seconds'), 1)} |")
    out.append("")
    out.append("| Search, 32 conn | Requests/s | p50 ms | p99 ms | p99.9 ms | max ms | server CPU ms/req |")
    out.append("|---|---|---|---|---|---|---|")
    for label, s in (("before rotation", rot_before), ("during rotation", rot_during)):
        out.append(f"| {label} | {fmt(g(s, 'rps'))} | {fmt(g(s, 'p50_ms'), 2)} | "
                   f"{fmt(g(s, 'p99_ms'), 2)} | {fmt(g(s, 'p999_ms'), 2)} | "
                   f"{fmt(g(s, 'max_ms'), 1)} | {fmt(g(s, 'cpu_ms_per_req'), 3)} |")
    out.append("")

    # --- memory ---
    out.append("## Memory (server VmRSS)\n")
    out.append(f"- Empty vault (0 customers), 2 s after start: {fmt(mib(mem.get('rss_empty_kib')), 1, ' MiB')}")
    out.append(f"- {N:,} customers, 2 s after start (idle): "
               f"{fmt(mib(mem.get('rss_loaded_idle_kib')), 1, ' MiB')}")
    out.append(f"- After the workload runs: {fmt(mib(mem.get('rss_loaded_after_workloads_kib')), 1, ' MiB')}")
    out.append(f"- Soak ({a.soak} s of mixed load at 32 connections: 60% search, 15% verify, 15% "
               "find-or-create, 5% create, 5% reveal): start "
               f"{fmt(mib(rss0), 1, ' MiB')}, end {fmt(mib(rss1), 1, ' MiB')}, drift "
               f"{fmt(drift, 1, '%')}; {fmt(g(soak, 'requests'), 0)} requests at "
               f"{fmt(g(soak, 'rps'))}/s, p99 {fmt(g(soak, 'p99_ms'), 2)} ms; customers at the "
               f"end: {fmt(mem.get('customers_at_end'))}.")
    metrics = {}
    if os.path.exists(f"{R}/metrics.txt"):
        for line in open(f"{R}/metrics.txt"):
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#"):
                try:
                    metrics[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    bs, bc = metrics.get("vault_group_commit_batch_size_sum"), metrics.get(
        "vault_group_commit_batch_size_count")
    if bs and bc:
        out.append(f"- Group commit over the server's whole life (all phases): {bc:,.0f} commits "
                   f"for {bs:,.0f} writes, {bs / bc:.1f} writes per commit on average.")
    if soak_rss:
        pts = ", ".join(f"{t}s {kib / 1024:.1f}" for t, kib in soak_rss[::max(1, len(soak_rss) // 12)])
        out.append(f"- RSS samples (MiB): {pts}")
    out.append("")

    # --- what-if ---
    if any(whatif.values()):
        out.append(f"## What-if: server.threads = 64 instead of the shipped {a.threads}\n")
        out.append("The same binary and data with only `[server] threads` changed (cpp-httplib "
                   "serves a keep-alive connection on one worker thread for its whole life, so "
                   "with fewer threads than connections the other connections wait).\n")
        out.append("| Workload | Conn | shipped threads: req/s | p99 ms | threads=64: req/s | p99 ms |")
        out.append("|---|---|---|---|---|---|")
        for w in ("healthz", "search", "create"):
            for c in (32, 64):
                base = healthz if (w == "healthz" and c == 32) else wl.get((w, c))
                if w == "healthz" and c != 32:
                    base = None
                t = whatif.get((w, c))
                out.append(f"| {w} | {c} | {fmt(g(base, 'rps'))} | {fmt(g(base, 'p99_ms'), 2)} | "
                           f"{fmt(g(t, 'rps'))} | {fmt(g(t, 'p99_ms'), 2)} |")
        out.append("")

    # --- configuration ---
    out.append("## Configuration used\n")
    out.append(f"- Server: the shipped config/vault.toml with only listen (127.0.0.1), port, "
               f"data_dir, policy file and dev_mode=false changed: threads = {a.threads}, "
               "readers as shipped, TLS on (self-signed dev certificate), log level as shipped "
               "(one line per request to a file). Release build (-O3, `build-bench`).")
    out.append("- Policy: the bench's own copy of config/policy.toml in the scratch directory, "
               "with every positive `reveal_quota_per_hour` and `lookups_per_minute` raised to "
               "1,000,000 (the policy's maximum) so no benchmark request is refused by a limit "
               "(shipped: support reveals 20/hour, pos 600 lookups/minute, cashier 60/minute). "
               "Roles, actions and field levels unchanged.")
    out.append("- Load generators run on the same 2 CPUs as the server (wrk: 2 threads; "
               "pgbench: 2 threads), so every figure includes the client's share.\n")

    if os.path.exists(f"{R}/timeline.txt"):
        out.append("## Timeline of this run\n")
        out.append("| Started at (s) | Phase |")
        out.append("|---|---|")
        for line in open(f"{R}/timeline.txt"):
            t, _, what = line.strip().partition(" ")
            out.append(f"| {t} | {what} |")
        out.append("")

    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        out.append(open(analysis).read())

    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print(table_md)


if __name__ == "__main__":
    main()
