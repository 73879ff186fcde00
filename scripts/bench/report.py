"""Turns scripts/bench.sh's raw results into docs/benchmarks.md (median run per tool)."""
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

results, runs, sets, command = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
TICK = os.sysconf("SC_CLK_TCK")


def read(name, default=None):
    path = os.path.join(results, name)
    return open(path).read().strip() if os.path.exists(path) else default


def parse_time(path):
    out = {}
    for line in open(path):
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock)"):
            parts = [float(p) for p in value.split(":")]
            out["wall"] = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        elif key == "User time (seconds)":
            out["user"] = float(value)
        elif key == "System time (seconds)":
            out["sys"] = float(value)
        elif key == "Maximum resident set size (kbytes)":
            out["rss"] = int(value) / 1024
    return out


def run_stats(data_set, tool, run):
    base = f"{data_set}.{tool}.{run}"
    t = parse_time(os.path.join(results, base + ".time"))
    t["server"] = int(read(base + ".server_ticks", "0")) / TICK
    t["stored"] = int(read(base + ".stored", "0"))
    t["start"] = float(read(base + ".start_seconds", "nan"))
    t["source_read"] = int(read(base + ".source_read", "0"))
    t["format"] = read(base + ".format", "")
    return t


def median_run(data_set, tool, n):
    stats = [run_stats(data_set, tool, r) for r in range(1, n + 1) if os.path.exists(os.path.join(results, f"{data_set}.{tool}.{r}.time"))]
    if not stats:
        return None
    wall = statistics.median_low([s["wall"] for s in stats])
    chosen = next(s for s in stats if s["wall"] == wall)
    chosen["walls"] = [s["wall"] for s in stats]
    return chosen


def fmt_walls(s):
    return " / ".join(f"{w:.2f}" for w in s["walls"])


cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
print("# Benchmarks\n")
print(f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, warm page cache.")
print(f"Command: `{command}`. Median of {runs} run(s) (all runs' wall times listed); every tool backs up from the same replica of the")
print(f"sandbox (PostgreSQL {read('pg_major', '15')}, Patroni), the repository is a local directory on the same disk. Client CPU and peak RSS come from")
print("`/usr/bin/time -v`; server CPU is the CPU used by the sandbox's PostgreSQL processes during the run (leader and replicas).\n")
print("Tools: PgBackup in both modes — server-side zstd (level 3, 2 workers on the replica, archives stored as received; the default) and")
print("client-side zstd (level 3, 4 MiB chunks, one worker per core); pgBackRest 2.45 (backup-standby, compress-type zst level 3,")
print("process-max 2, WAL archived by archive-push as its users run it); pg_basebackup with server-side zstd (level 3, 2 workers, -Ft -X stream).\n")

for data_set in [s for s in sets if s not in ("wal", "walfailover", "incr", "rto")]:
    data = int(read(f"{data_set}.data_bytes", "0"))
    print(f"## Backup: data set `{data_set}` ({data / 2**20:.0f} MiB data directory)\n")
    print("| tool | wall s (median) | all runs s | MB/s of data dir | client CPU s | server CPU s | peak RSS MiB | stored MiB |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {}
    for tool in ["pgbackup", "pgbackup-client", "pgbackrest", "pg_basebackup", "pgbackup-s3"]:
        s = median_run(data_set, tool, runs if tool != "pgbackup-s3" else 1)
        if s is None:
            continue
        rows[tool] = s
        label = {"pgbackup": "PgBackup (server-side zstd, default)", "pgbackup-client": "PgBackup (client-side zstd chunks)",
                 "pgbackup-s3": "PgBackup → s3rver (server-side zstd; separate, S3 path)"}.get(tool, tool)
        print(f"| {label} | {s['wall']:.2f} | {fmt_walls(s)} | {data / s['wall'] / 1e6:.0f} | {s['user'] + s['sys']:.1f} | {s['server']:.1f} | {s['rss']:.0f} | {s['stored'] / 2**20:.0f} |")
    if "pgbackup" in rows and "pgbackrest" in rows:
        print(f"\nPgBackup / pgBackRest wall time: **{rows['pgbackup']['wall'] / rows['pgbackrest']['wall']:.2f}x** (target ≤ 0.6x).", end="")
    if "pgbackup" in rows and "pg_basebackup" in rows:
        print(f" PgBackup / pg_basebackup server-zstd: **{rows['pgbackup']['wall'] / rows['pg_basebackup']['wall']:.2f}x** (target ≤ 1.2x).", end="")
    print("\n")
    print(f"### Restore: data set `{data_set}` into an empty directory\n")
    print("| tool | restore wall s (median) | all runs s | client CPU s | peak RSS MiB | start until accepting connections s |")
    print("|---|---|---|---|---|---|")
    restores = {}
    for tool in ["pgbackup-restore", "pgbackup-client-restore", "pgbackrest-restore"]:
        s = median_run(data_set, tool, runs)
        if s is None:
            continue
        restores[tool] = s
        label = {"pgbackup-restore": "PgBackup (server-compressed backup)", "pgbackup-client-restore": "PgBackup (client-compressed backup)"}.get(tool, tool.replace("-restore", ""))
        print(f"| {label} | {s['wall']:.2f} | {fmt_walls(s)} | {s['user'] + s['sys']:.1f} | {s['rss']:.0f} | {s['start']:.2f} |")
    if "pgbackup-restore" in restores and "pgbackrest-restore" in restores:
        print(f"\nPgBackup / pgBackRest restore wall time: **{restores['pgbackup-restore']['wall'] / restores['pgbackrest-restore']['wall']:.2f}x** (default, server-compressed backup)", end="")
        if "pgbackup-client-restore" in restores:
            print(f", **{restores['pgbackup-client-restore']['wall'] / restores['pgbackrest-restore']['wall']:.2f}x** (client-compressed backup)", end="")
        print(" (target ≤ 0.8x).")
    zero, slow = median_run(data_set, "pgbackup-s3-restore", 1), median_run(data_set, "pgbackup-s3-latency-restore", 1)
    if zero and slow:
        ms = read(f"{data_set}.s3_latency_ms")
        print(f"\nRestore of the S3 backup (default format) straight from s3rver: {zero['wall']:.2f} s; with {ms} ms added to every request")
        print(f"(scripts/bench/latency_proxy.py): {slow['wall']:.2f} s, **{slow['wall'] / zero['wall']:.2f}x** (target ≤ 1.5x); peak RSS {zero['rss']:.0f} / {slow['rss']:.0f} MiB.")
    print()

if "rto" in sets and read("rto.pgbackup.1.time") and read("rto.pgbackrest.1.time"):
    p, b = run_stats("rto", "pgbackup", 1), run_stats("rto", "pgbackrest", 1)
    wal = float(read("rto.wal_bytes", "0"))
    print("## Recovery time: restore to a time and replay the WAL up to it (pgbench set)\n")
    print(f"After a full backup by each tool, every `pgbench_accounts` row was updated ({wal / 2**30:.2f} GiB of WAL); the target is a")
    print("time just after that. Measured from the restore command until the recovered server accepts connections as a primary:")
    print("PgBackup `restore --time T --start`; pgBackRest `restore --type=time --target=T --target-action=promote` (archive-get with")
    print("archive-async=y), then `pg_ctl start` until `pg_is_in_recovery()` is false. One run.\n")
    print("| tool | restore + replay wall s | client CPU s | peak RSS MiB |")
    print("|---|---|---|---|")
    for label, s in [("PgBackup", p), ("pgBackRest 2.45", b)]:
        print(f"| {label} | {s['wall']:.2f} | {s['user'] + s['sys']:.1f} | {s['rss']:.0f} |")
    print(f"\nPgBackup / pgBackRest: **{p['wall'] / b['wall']:.2f}x** (target ≤ 0.8x).\n")

if read("wal.latency.json") or read("wal.failover.json"):
    import json
    w = json.loads(read("wal.latency.json", "{}"))
    print("## WAL: delay from commit to WAL durable in the repository\n")
    print(f"Under `pgbench -c 8 -j 2` on the leader (scale 10), a probe commits a row every 200 ms ({w.get('probes', 0)} probes); the delay runs")
    print("from the commit (server clock) until the WAL position after it is durable in the repository. Streaming: PgBackup's archiver")
    print("hosted by `pgbackup serve` (archived position polled every 50 ms from /api/status, so up to 50 ms of the delay is polling).")
    print("archive_command: `pgbackup wal-push %p` with `archive_timeout = 60` (segment file polled every 50 ms).\n")
    print("| method | probes measured | p50 s | p99 s | max s |")
    print("|---|---|---|---|---|")
    for key, label in [("streaming", "PgBackup streaming archiver (partial every 1 s)"), ("archive_command", "archive_command = pgbackup wal-push, archive_timeout 60")]:
        v = w.get(key)
        if v:
            print(f"| {label} | {v['n']} | {v['p50']} | {v['p99']} | {v['max']} |")
    f = json.loads(read("wal.failover.json", "{}") or "{}")
    if f.get("streaming"):
        v = f["streaming"]
        print(f"| PgBackup streaming archiver through a switchover and a kill -9 failover (probe only, no pgbench; "
              f"{f['lost_by_cluster']} probe(s) lost by the cluster itself left out) | {v['n']} | {v['p50']} | {v['p99']} | {v['max']} |")
    print("\nTarget: p99 ≤ 2 s for the streaming archiver, and ≤ 2 s p99 / 3 s max through leader changes.", end="")
    rss = [(label, read(name)) for label, name in [("under load", "wal.serve_rss_kib"), ("through the leader changes", "wal.failover.serve_rss_kib")] if read(name)]
    if rss:
        print(" Peak RSS of `pgbackup serve` hosting the one archiver (and Hangfire): " + ", ".join(f"{int(k) / 1024:.0f} MiB {label}" for label, k in rss) + ".", end="")
    print("\n")

if "incr" in sets and read("incr.pgbackup-full.1.time"):
    one = lambda tool: run_stats("incr", tool, 1)
    full = one("pgbackup-full")
    data = int(read("incr.data_bytes", "0"))
    # On 15 the rival is pgBackRest 2.45; on 17+ (which it predates) PgBackup's own block-level incrementals.
    native = read("pg_major", "15") != "15"
    rival, rival_name = ("block", "PgBackup block-level") if native else ("pgbackrest", "pgBackRest")
    # pgBackRest reads the standby's data directory itself, not through PostgreSQL's processes: not counted.
    rival_read = (lambda b: f"{b['source_read'] / 2**20:.0f}") if native else (lambda b: "—")
    print("## Incremental backups (pgbench set)\n")
    print(f"Data directory {data / 2**20:.0f} MiB. A full backup, then six times: 1% of `pgbench_accounts` rows updated in one contiguous")
    print("`aid` range (each time the next range), CHECKPOINT, an incremental; then 1% of random rows and one more incremental.")
    if native:
        print("PgBackup: the default policy (`--type incr`: native incrementals where the source summarizes WAL); PgBackup block-level:")
        print("`backup.native_incremental: off`, into its own repository, after the same change.")
    else:
        print("PgBackup: client chunks (`--type incr`); pgBackRest 2.45 `--type=incr` after the same change.")
    print("Stored: what the backup added to the repository (its own folder). Source read: bytes the source replica's exited")
    print("processes (the backup's walsenders) read, page cache included. One run each (BENCH_RUNS does not repeat this set).\n")
    print(f"| backup | PgBackup format | PgBackup wall s | PgBackup stored MiB | stored / full | wall / full | source read MiB | peak RSS MiB | {rival_name} wall s | {rival_name} stored MiB | {rival_name} source read MiB | stored ratio PgBackup/{rival_name} |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ["full"] + [f"incr{n}" for n in range(1, 7)] + ["random"]:
        if not read(f"incr.pgbackup-{name}.1.time"):
            continue
        p, b = one(f"pgbackup-{name}"), one(f"{rival}-{name}")
        ratio = p["stored"] / b["stored"] if b["stored"] else float("nan")
        print(f"| {name} | {p['format']} | {p['wall']:.2f} | {p['stored'] / 2**20:.1f} | {100 * p['stored'] / full['stored']:.1f}% | {p['wall'] / full['wall']:.2f}x | "
              f"{p['source_read'] / 2**20:.0f} | {p['rss']:.0f} | {b['wall']:.2f} | {b['stored'] / 2**20:.1f} | {rival_read(b)} | {ratio:.2f} |")
    if read("incr.chain-restore.1.time") and read("incr.full-restore.1.time"):
        c, f = one("chain-restore"), one("full-restore")
        print(f"\nRestore of the full + 6 incrementals: {c['wall']:.2f} s (peak RSS {c['rss']:.0f} MiB); of a full of the same data: {f['wall']:.2f} s; "
              f"**{c['wall'] / f['wall']:.2f}x** (target ≤ 1.2x).")
    print("\nTargets: a contiguous-1% incremental stores ≤ 3% of the full and takes ≤ 0.5x its wall time (PostgreSQL 17 native: ≤ 0.2x).\n")

if read("fleet.run"):
    rss = {n: int(read(f"fleet.rss_kib.{n}")) / 1024 for n in (1, 10, 30) if read(f"fleet.rss_kib.{n}")}
    print("## Fleet: `serve` instances hosting many clusters\n")
    print("The bench cluster under N names (own local repository, lease and archiver slot each), so `serve` hosts N archivers; the")
    print(f"cluster idle ({int(read('fleet.data_bytes', '0')) / 2**20:.0f} MiB of databases). Resident memory of one instance once every archiver streams, plus 30 s:\n")
    print("| archivers | RSS MiB |")
    print("|---|---|")
    for n, mib in rss.items():
        print(f"| {n} | {mib:.0f} |")
    if 1 in rss and 30 in rss:
        per = (rss[30] - rss[1]) / 29
        print(f"\nPer archiver (1 → 30): **{per:.2f} MiB**; extrapolated, 500 archivers on one instance: {rss[1] + 499 * per:.0f} MiB. The segment an")
        print("archiver is filling is spooled to an unlinked temporary file (page cache, not process memory).")
    done, seconds = read("fleet.run").split("|")
    hwm = [int(read(f"fleet.run_hwm_kib.{i}")) / 1024 for i in (1, 2) if read(f"fleet.run_hwm_kib.{i}")]
    print(f"\nThroughput: two instances on one Hangfire PostgreSQL storage (`--max-concurrent-backups 2` each), ten clusters whose full")
    print(f"backups fire in the same minute (`schedules.jitter: 0s`): {done} succeeded, {float(seconds):.1f} s from the first start to the last end,")
    print(f"**{int(done) * 3600 / float(seconds):.0f} backups per hour**; peak RSS per instance " + ", ".join(f"{m:.0f} MiB" for m in hwm) + ".\n")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
if os.path.exists(notes):
    print(open(notes).read())
