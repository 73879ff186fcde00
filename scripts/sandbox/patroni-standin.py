#!/usr/bin/python3
"""Answers GET /cluster the way Patroni 3.0 does, for servers that run without Patroni
(scripts/sandbox/standalone.sh). Nothing is invented: every request asks each server over SQL
whether it is in recovery, on which timeline, and how far it has replayed, so a promote or a stopped
server shows at once. The argument (the sandbox's state directory) only marks the command line, so
`down` can tell this process from any other.

Environment: STANDIN_MEMBERS (name:port,...), STANDIN_SOCKETS (unix socket directory),
STANDIN_PORT (the port to listen on, 127.0.0.1)."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

MEMBERS = [(name, int(port)) for name, port in (m.split(":") for m in os.environ["STANDIN_MEMBERS"].split(","))]
SOCKETS = os.environ["STANDIN_SOCKETS"]
PORT = int(os.environ["STANDIN_PORT"])

QUERY = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
       pg_last_wal_replay_lsn()::text,
       (SELECT status FROM pg_stat_wal_receiver),
       (SELECT received_tli FROM pg_stat_wal_receiver),
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
       (SELECT timeline_id FROM pg_control_checkpoint())
"""


def lsn(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def member_state(name, port):
    base = {"name": name, "host": "127.0.0.1", "port": port, "api_url": f"http://127.0.0.1:{PORT}/patroni"}
    try:
        with psycopg2.connect(host=SOCKETS, port=port, user="postgres", dbname="postgres", connect_timeout=2) as conn:
            with conn.cursor() as cur:
                cur.execute(QUERY)
                in_recovery, current, replayed, receiver, received_tli, wal_tli, checkpoint_tli = cur.fetchone()
        conn.close()
    except psycopg2.Error:
        return dict(base, role="replica", state="stopped"), None
    if not in_recovery:
        return dict(base, role="leader", state="running", timeline=wal_tli), lsn(current)
    return dict(base, role="replica", state="streaming" if receiver == "streaming" else "running",
                timeline=received_tli or checkpoint_tli, replayed=replayed), None


def cluster():
    states = [member_state(name, port) for name, port in MEMBERS]
    leader_lsn = next((position for _, position in states if position is not None), None)
    members = []
    for member, _ in states:
        replayed = member.pop("replayed", None)
        if member["role"] == "replica" and member["state"] != "stopped":
            member["lag"] = max(0, leader_lsn - lsn(replayed)) if leader_lsn is not None and replayed else "unknown"
        members.append(member)
    return {"members": members, "scope": "sandbox"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.rstrip("/") != "/cluster":
            self.send_error(404)
            return
        body = json.dumps(cluster()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
