"""Commit-to-repository delay of WAL, for scripts/bench.sh's `wal` set.

While pgbench loads the leader, a probe commits a row every 200 ms and notes the WAL insert
position right after the commit and the server's clock. Two watchers note when that position
became durable in a repository:
  - PgBackup's streaming archiver (hosted by `pgbackup serve`): its archived LSN from /api/status;
  - archive_command = `pgbackup wal-push` with archive_timeout = 60: the first time the segment
    holding the position appears in its local-directory repository.
Prints one JSON line: p50/p99/max delays in seconds for each.

With a sixth argument, the path of scripts/sandbox.sh, it measures the streaming archiver alone
through leader changes instead: the probe follows the leader (multi-host, read-write), and a
switchover at a quarter of the run and a kill -9 failover at half of it are made through the
script. A probe counts as durable once the archiver reports its position durable on its timeline
or a later one; probes the cluster itself lost (absent from the table afterwards) are left out.
"""
import json, os, subprocess, sys, threading, time, urllib.request

leader_ports, password, status_url, push_dir, duration = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
sandbox = sys.argv[6] if len(sys.argv) > 6 else None
ports = leader_ports.split(",")
conninfo = (f"host={','.join(['127.0.0.1'] * len(ports))} port={leader_ports} user=postgres dbname=bench_wal"
            " target_session_attrs=read-write connect_timeout=2")
SEGMENT = 16 * 2**20
env = dict(os.environ, PGPASSWORD=password)
stop = threading.Event()


def lsn_value(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def psql(*commands):
    """The output lines of the commands, run in order in one session, or None when one failed (a leader change in progress)."""
    done = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", conninfo] + [a for c in commands for a in ("-c", c)],
                          env=env, capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 else None


stream_seen = []   # (time, timeline, archived lsn)
push_seen = {}     # segment end lsn -> time first seen


def watch_stream():
    while not stop.is_set():
        try:
            status = json.load(urllib.request.urlopen(status_url, timeout=2))
            archiver = status["clusters"][0]["archiver"] or {}
            seg = archiver.get("newestArchivedSegment")   # "LSN on timeline N"
            if seg:
                stream_seen.append((time.time(), int(seg.split(" ")[-1]), lsn_value(seg.split(" ")[0])))
        except Exception:
            pass
        time.sleep(0.05)


def watch_push():
    while not stop.is_set():
        for root, _, files in os.walk(push_dir):
            for f in files:
                name = f.split(".")[0]
                if len(name) == 24 and f.endswith(".zst") and ".partial" not in f:
                    end = ((int(name[8:16], 16) << 32) + (int(name[16:24], 16) + 1) * SEGMENT)
                    push_seen.setdefault(end, time.time())
        time.sleep(0.05)


def leader_changes():
    for at, verb in [(duration / 4, "switchover"), (duration / 2, "failover")]:
        time.sleep(max(0.0, started + at - time.time()))
        subprocess.run(["bash", sandbox, verb], capture_output=True, check=True)


threads = [threading.Thread(target=watch_stream, daemon=True)]
if sandbox:
    threads.append(threading.Thread(target=leader_changes, daemon=True))
else:
    threads.append(threading.Thread(target=watch_push, daemon=True))
started = time.time()
for t in threads:
    t.start()

probes = []   # (id, timeline, lsn, commit time)
deadline = started + duration
while time.time() < deadline:
    # The INSERT commits on its own; the position and clock are read after it.
    out = psql("INSERT INTO probe DEFAULT VALUES RETURNING id",
               "SELECT pg_walfile_name(pg_current_wal_insert_lsn()) || ' ' || pg_current_wal_insert_lsn() || ' ' || extract(epoch from clock_timestamp())")
    if out and len(out) == 4:
        pid, walfile, lsn, at = out
        probes.append((int(pid), int(walfile[:8], 16), lsn_value(lsn), float(at)))
    time.sleep(0.2)
if sandbox:
    time.sleep(3)   # the last probes' partial
    kept = set(int(i) for i in psql("SELECT id FROM probe"))
    lost = [p for p in probes if p[0] not in kept]
    probes = [p for p in probes if p[0] in kept]
else:
    lost = []
    # Give the slow path its chance: archive_timeout is 60 s.
    grace = time.time() + 65
    while time.time() < grace and not all(any(end >= lsn for end in push_seen) for _, _, lsn, _ in probes):
        time.sleep(0.5)
stop.set()


def delays(first_durable):
    out = []
    for _, timeline, lsn, at in probes:
        t = first_durable(timeline, lsn, at)
        if t is not None:
            out.append(max(0.0, t - at))
    return out


def stream_time(timeline, lsn, at):
    return next((t for t, tli, archived in stream_seen if t >= at and tli >= timeline and archived >= lsn), None)


def push_time(timeline, lsn, at):
    times = [t for end, t in push_seen.items() if end >= lsn]
    return min(times) if times else None


def summary(values):
    if not values:
        return None
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return {"n": len(values), "p50": round(pick(0.50), 3), "p99": round(pick(0.99), 3), "max": round(values[-1], 3)}


result = {"probes": len(probes), "streaming": summary(delays(stream_time))}
if sandbox:
    result["lost_by_cluster"] = len(lost)
else:
    result["archive_command"] = summary(delays(push_time))
print(json.dumps(result))
