"""The test cluster itself (tests/integration/etcd_cluster.py): the etcd
backend's tests rely on it to lose members and compact on demand."""
import os
import urllib.error

import pytest

from etcd_cluster import Cluster, b64


def test_cluster_commits_through_every_member(etcd):
    for i, m in enumerate(etcd.members):
        etcd.call("/v3/kv/put", {"key": b64(f"/t/m{i}"), "value": b64("v")}, member=m)
    assert etcd.put("/t/a", "1")["header"]["revision"]
    assert etcd.get("/t/a") == b"1"


def test_one_member_down_keeps_quorum_and_rejoins(etcd):
    victim = etcd.members[2]
    victim.kill()
    try:
        etcd.put("/t/b", "2")
        assert etcd.get("/t/b") == b"2"
    finally:
        victim.restart()
    etcd.wait_healthy()
    assert etcd.get("/t/b") == b"2"


def test_two_members_down_refuse_writes_then_recover(etcd):
    a, b = etcd.members[1], etcd.members[2]
    a.kill()
    b.kill()
    try:
        with pytest.raises((ConnectionError, urllib.error.HTTPError)):
            etcd.call("/v3/kv/put", {"key": b64("/t/c"), "value": b64("3")}, member=etcd.members[0], timeout=2)
    finally:
        a.restart()
        b.restart()
    etcd.wait_healthy()
    etcd.put("/t/c", "3")
    assert etcd.get("/t/c") == b"3"


def test_compaction_drops_old_revisions(etcd):
    first = etcd.put("/t/d", "1")["header"]["revision"]
    etcd.put("/t/d", "2")
    etcd.compact()
    with pytest.raises(urllib.error.HTTPError):
        etcd.call("/v3/kv/range", {"key": b64("/t/d"), "revision": first})


def test_stop_kills_every_member_and_removes_its_dir():
    c = Cluster()
    c.start()
    pids = [m.proc.pid for m in c.members]
    c.stop()
    assert not c.dir.exists()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
