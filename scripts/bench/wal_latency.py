"""Commit-to-repository delay of WAL, for scripts/bench.sh's `wal` set.

While pgbench loads the leader, a probe commits a row every 200 ms and notes the WAL insert
position right after the commit and the server's clock. Two watchers note when that position
became durable in a repository:
  - PgBackup's streaming archiver (hosted by `pgbackup serve`): its archived LSN from /api/status;
  - archive_command = `pgbackup wal-push` with archive_timeout = 60: the first time the segment
    holding the position appears in its local-directory repository.
Prints one JSON line: p50/p99/max delays in seconds for each.
"""
import json, os, subprocess, sys, threading, time, urllib.request

leader_port, password, status_url, push_dir, duration = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
SEGMENT = 16 * 2**20
env = dict(os.environ, PGPASSWORD=password)
stop = threading.Event()


def lsn_value(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def psql(sql):
    out = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", leader_port, "-U", "postgres", "-d", "bench_wal", "-c", sql],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    return out.splitlines()[-1]


stream_seen = []   # (time, archived lsn)
push_seen = {}     # segment end lsn -> time first seen


def watch_stream():
    while not stop.is_set():
        try:
            status = json.load(urllib.request.urlopen(status_url, timeout=2))
            archiver = status["clusters"][0]["archiver"] or {}
            seg = archiver.get("newestArchivedSegment")
            if seg:
                stream_seen.append((time.time(), lsn_value(seg.split(" ")[0])))
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


threads = [threading.Thread(target=watch_stream, daemon=True), threading.Thread(target=watch_push, daemon=True)]
for t in threads:
    t.start()

probes = []
deadline = time.time() + duration
while time.time() < deadline:
    row = psql("INSERT INTO probe DEFAULT VALUES; SELECT pg_current_wal_insert_lsn() || ' ' || extract(epoch from clock_timestamp())")
    lsn, at = row.split(" ")
    probes.append((lsn_value(lsn), float(at)))
    time.sleep(0.2)
# Give the slow path its chance: archive_timeout is 60 s.
grace = time.time() + 65
while time.time() < grace and not all(any(end >= lsn for end in push_seen) for lsn, _ in probes):
    time.sleep(0.5)
stop.set()


def delays(first_durable):
    out = []
    for lsn, at in probes:
        t = first_durable(lsn)
        if t is not None:
            out.append(max(0.0, t - at))
    return out


def stream_time(lsn):
    return next((t for t, archived in stream_seen if archived >= lsn), None)


def push_time(lsn):
    times = [t for end, t in push_seen.items() if end >= lsn]
    return min(times) if times else None


def summary(values):
    if not values:
        return None
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return {"n": len(values), "p50": round(pick(0.50), 3), "p99": round(pick(0.99), 3), "max": round(values[-1], 3)}


print(json.dumps({"probes": len(probes), "streaming": summary(delays(stream_time)), "archive_command": summary(delays(push_time))}))
