#!/usr/bin/python3
"""Reads a Patroni GET /cluster JSON document on stdin and answers one question.

  cluster.py leader            print the leader's name (exit 1 if none)
  cluster.py replicas          print replica names, one a line
  cluster.py healthy N         exit 0 if there is a running leader and N-1 replicas running on
                               the leader's timeline with a known lag; else print why, exit 1
  cluster.py summary           one line per member: name role state timeline lag
"""
import json
import sys

LEADER_ROLES = ("leader", "master", "primary", "standby_leader")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else "summary"
    try:
        doc = json.load(sys.stdin)
    except Exception as e:  # noqa: BLE001 - any parse error means "not answered"
        print(f"no valid /cluster JSON ({e})")
        return 1
    members = doc.get("members", [])
    leaders = [m for m in members if m.get("role") in LEADER_ROLES]
    replicas = [m for m in members if m.get("role") not in LEADER_ROLES]
    if cmd == "leader":
        if len(leaders) != 1:
            return 1
        print(leaders[0]["name"])
        return 0
    if cmd == "replicas":
        for m in replicas:
            print(m["name"])
        return 0
    if cmd == "summary":
        for m in members:
            print(m.get("name"), m.get("role"), m.get("state"), m.get("timeline", "-"), m.get("lag", "-"))
        return 0
    if cmd == "healthy":
        want = int(sys.argv[2])
        if len(leaders) != 1:
            print(f"{len(leaders)} leaders")
            return 1
        leader = leaders[0]
        if leader.get("state") != "running":
            print(f"leader {leader['name']} is {leader.get('state')}")
            return 1
        tl = leader.get("timeline")
        problems = []
        ok = 0
        for m in replicas:
            if m.get("state") not in ("running", "streaming"):
                problems.append(f"{m['name']} is {m.get('state')}")
            elif m.get("timeline") != tl:
                problems.append(f"{m['name']} on timeline {m.get('timeline')}, leader on {tl}")
            elif not isinstance(m.get("lag"), int):
                problems.append(f"{m['name']} lag {m.get('lag')}")
            else:
                ok += 1
        if len(members) < want:
            problems.append(f"{want - len(members)} member(s) missing from /cluster")
        if ok != want - 1:
            print(f"{ok}/{want - 1} replicas healthy: " + ", ".join(problems))
            return 1
        print(f"leader {leader['name']} (timeline {tl}), {ok} replicas running")
        return 0
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
