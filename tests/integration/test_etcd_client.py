"""The etcd client (store/etcd*.c) against a real cluster, through its
command-line driver (tests/drivers/etcd_driver.c). Exit codes are the
errno the client returned."""
import errno
import os
import pathlib
import subprocess
import time

import pytest

from etcd_cluster import Cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
DRIVER = os.path.join(os.environ.get("NOVA_ENGINE_DRIVERS", str(ROOT / "build" / "drivers")), "etcd_driver")


def drive(endpoints, *args, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}
    e["ETCD_ENDPOINTS"] = endpoints if isinstance(endpoints, str) else ",".join(endpoints)
    e.update(env or {})
    p = subprocess.run([DRIVER, *args], capture_output=True, text=True, env=e, timeout=timeout)
    return p


def ok(endpoints, *args, **kw):
    p = drive(endpoints, *args, **kw)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture
def prefix(request):
    return f"/client/{request.node.name}/"


def test_cas_writes_only_over_the_expected_revision(etcd, prefix):
    k = prefix + "k"
    rev = int(ok(etcd.endpoints, "cas", k, "0", "one").split("=")[1])
    p = drive(etcd.endpoints, "cas", k, "0", "two")
    assert p.returncode == errno.ESTALE
    assert f"current mod={rev}" in p.stdout
    assert p.stderr == f"Error: {k} changed in etcd (revision {rev}, expected 0)\n"
    ok(etcd.endpoints, "cas", k, str(rev), "two")
    assert etcd.get(k) == b"two"


def test_get_reads_value_and_revision_and_absent(etcd, prefix):
    etcd.put(prefix + "a", "hello world")
    assert ok(etcd.endpoints, "get", prefix + "a").startswith("mod=")
    assert ok(etcd.endpoints, "get", prefix + "a").strip().endswith("value=hello world")
    assert ok(etcd.endpoints, "get", prefix + "missing").startswith("absent rev=")
    assert ok(etcd.endpoints, "get", prefix + "a", "--serializable").strip().endswith("value=hello world")


def test_list_returns_every_key_under_the_prefix_only(etcd, prefix):
    for k in ("b", "a", "c/d"):
        etcd.put(prefix + k, k.upper())
    etcd.put(prefix[:-1] + "x", "outside")
    lines = ok(etcd.endpoints, "list", prefix).splitlines()
    assert [(line.split()[0], line.split()[2]) for line in lines] == \
        [(prefix + "a", "A"), (prefix + "b", "B"), (prefix + "c/d", "C/D")]


def test_list_pages_past_the_answer_cap(etcd, prefix):
    """More keys than a page, and more than the 8 MiB an answer may hold
    (7 values of 1.3 MiB): every key, in order, once; it was "etcd
    unreachable ... Failed writing received data" (doctor said so about a
    healthy cluster holding many agents' stores)."""
    names = [f"k{i:04d}" for i in range(600)]
    for n in names:
        etcd.put(prefix + n, "v" + n)
    big = [f"z{i}" for i in range(7)]
    for n in big:
        etcd.put(prefix + n, n * (650 * 1024))
    lines = ok(etcd.endpoints, "list", prefix, timeout=60).splitlines()
    assert [line.split()[0] for line in lines] == [prefix + n for n in names + big]
    assert [line.split()[2] for line in lines[:600]] == ["v" + n for n in names]
    assert all(len(line.split()[2]) == 1300 * 1024 for line in lines[600:])


def test_concurrent_cas_increments_lose_nothing(etcd, prefix):
    k = prefix + "n"
    procs = [subprocess.Popen([DRIVER, "incr", k, "50"], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "ETCD_ENDPOINTS": ",".join(etcd.endpoints[i:] + etcd.endpoints[:i])})
             for i in range(3)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert etcd.get(k) == b"150"


def test_failover_to_the_next_endpoint_when_one_is_down(etcd, prefix):
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    ok([dead] + etcd.endpoints, "cas", prefix + "f", "0", "v")
    assert etcd.get(prefix + "f") == b"v"


def test_unreachable_is_one_clear_line():
    p = drive("http://127.0.0.1:9,http://127.0.0.1:10", "get", "/x")
    assert p.returncode == errno.EHOSTUNREACH
    assert p.stderr.startswith("Error: etcd unreachable for /v3/kv/range: no endpoint answered "
                               "(http://127.0.0.1:9, http://127.0.0.1:10; last: ")
    assert len(p.stderr.splitlines()) == 1


def test_bad_endpoint_is_refused_before_sending():
    p = drive("ftp://127.0.0.1:2379", "get", "/x")
    assert p.returncode == errno.EINVAL
    assert p.stderr == ("Error: etcd endpoint 'ftp://127.0.0.1:2379' is not an http:// or https:// URL "
                        "(e.g. https://10.0.0.1:2379)\n")
    p = drive("", "get", "/x")
    assert p.stderr == "Error: no etcd endpoints: set store.etcd.endpoints or NOVA_ENGINE_ETCD_ENDPOINTS\n"


def test_password_never_goes_over_plain_http_to_another_host():
    p = drive("http://192.0.2.1:2379", "get", "/x", env={"ETCD_USER": "u", "ETCD_PASSWORD": "made-up-pw"})
    assert p.returncode == errno.EPERM
    assert p.stderr == ("Error: refusing to send a credential to 192.0.2.1 over http: credentials go only over https "
                        "(plain http only to loopback); set an https:// address in store.etcd.endpoints in the config\n")
    assert "made-up-pw" not in p.stderr


def test_lease_keepalive_then_revoke(etcd):
    assert "after revoke: -2" in ok(etcd.endpoints, "lease", "10")


def test_lock_excludes_a_second_holder_until_unlock(etcd, prefix):
    first = subprocess.Popen([DRIVER, "lock", prefix + "L", "10", "5000", "1500"], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "ETCD_ENDPOINTS": etcd.endpoints_env})
    assert first.stdout.readline().startswith("locked ")
    t0 = time.time()
    out = ok(etcd.endpoints, "lock", prefix + "L", "10", "10000", "0")
    waited = time.time() - t0
    first.communicate(timeout=10)
    assert out.startswith("locked ") and "unlocked" in out
    assert waited >= 1.0, waited


def test_a_dead_holders_lock_expires_with_its_lease(etcd, prefix):
    ok(etcd.endpoints, "lock", prefix + "D", "2", "5000", "0", "die")
    t0 = time.time()
    out = ok(etcd.endpoints, "lock", prefix + "D", "5", "15000", "0")
    assert out.startswith("locked ")
    assert time.time() - t0 < 10


def test_lock_wait_times_out_clearly(etcd, prefix):
    holder = subprocess.Popen([DRIVER, "lock", prefix + "T", "10", "5000", "3000"], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "ETCD_ENDPOINTS": etcd.endpoints_env})
    assert holder.stdout.readline().startswith("locked ")
    p = drive(etcd.endpoints, "lock", prefix + "T", "10", "500", "0")
    holder.communicate(timeout=10)
    assert p.returncode == errno.ETIMEDOUT
    assert p.stderr == f"Error: the etcd lock {prefix}T is still held by another host after 500 ms\n"


def test_write_fenced_by_a_lost_lock_is_refused(etcd, prefix):
    p = drive(etcd.endpoints, "lock", prefix + "F", "10", "5000", "0", "revoke-then-write", prefix + "fenced")
    assert p.returncode == errno.ENOLCK, p.stderr
    assert "was lost before the write (its lease expired): nothing was written" in p.stderr
    assert etcd.get(prefix + "fenced") is None


def test_watch_sees_puts_and_deletes_in_order(etcd, prefix):
    w = subprocess.Popen([DRIVER, "watch", prefix, "0", "3", "10"], stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "ETCD_ENDPOINTS": etcd.endpoints_env})
    assert w.stdout.readline() == "created\n"
    etcd.put(prefix + "w", "1")
    etcd.put(prefix + "w", "2")
    etcd.delete_prefix(prefix + "w")
    out = w.communicate(timeout=15)[0].splitlines()
    assert [line.split()[0] + " " + line.split()[-1] for line in out[:3]] == \
        [f"put 1", f"put 2", f"delete rev={int(out[2].split('rev=')[1])}"]
    assert out[3] == f"next={int(out[2].split('rev=')[1]) + 1}"


def test_watch_resumes_from_a_revision(etcd, prefix):
    first = int(etcd.put(prefix + "r", "a")["header"]["revision"])
    etcd.put(prefix + "r", "b")
    out = ok(etcd.endpoints, "watch", prefix, str(first), "2", "5").splitlines()
    assert [line.split()[-1] for line in out[1:3]] == ["a", "b"]


def test_watch_from_a_compacted_revision_says_so(etcd, prefix):
    first = int(etcd.put(prefix + "c", "a")["header"]["revision"])
    etcd.put(prefix + "c", "b")
    now = etcd.compact()
    p = drive(etcd.endpoints, "watch", prefix, str(first), "1", "5")
    assert p.returncode == errno.EXDEV
    assert p.stderr == f"Error: etcd compacted its history past revision {first} (now from {now})\n"


def test_no_quorum_fails_writes_clearly_and_recovers(etcd, prefix):
    a, b = etcd.members[1], etcd.members[2]
    a.kill()
    b.kill()
    try:
        p = drive(etcd.endpoints, "cas", prefix + "q", "0", "v", env={"ETCD_TIMEOUT_MS": "800"})
        assert p.returncode == errno.EROFS, p.stderr
        assert p.stderr.startswith("Error: etcd has no quorum (tried ")
        assert "the change was not confirmed and may still apply when the cluster is back" in p.stderr
        assert p.stderr.rstrip().endswith("the store is read-only until a majority of members is back")
        # the surviving member still answers reads from its own copy
        assert ok(etcd.endpoints, "get", prefix + "q", "--serializable").startswith("absent")
    finally:
        a.restart()
        b.restart()
    etcd.wait_healthy()
    # the member that took the write may commit it now: absent or "v", never else
    now = ok(etcd.endpoints, "get", prefix + "q")
    assert now.startswith("absent") or now.strip().endswith("value=v"), now
    rev = 0 if now.startswith("absent") else int(now.split()[0].split("=")[1])
    ok(etcd.endpoints, "cas", prefix + "q", str(rev), "w")


@pytest.fixture(scope="module")
def secured():
    """One member with TLS client certificates and authentication on: user
    nova may only touch /nova/ (made-up passwords)."""
    c = Cluster(size=1, tls=True)
    try:
        c.start()
        ctl = ["etcdctl", "--endpoints", c.endpoints_env, "--cacert", c.tls.ca,
               "--cert", c.tls.client_cert, "--key", c.tls.client_key]
        for args in (["user", "add", "root", "--new-user-password=root-made-up"],
                     ["role", "add", "nova"],
                     ["role", "grant-permission", "nova", "--prefix=true", "readwrite", "/nova/"],
                     ["user", "add", "nova", "--new-user-password=nova-made-up"],
                     ["user", "grant-role", "nova", "nova"], ["auth", "enable"]):
            subprocess.run(ctl + args, check=True, capture_output=True, env={**os.environ, "ETCDCTL_API": "3"})
        yield c
    finally:
        c.stop()


def tls_env(c, **kw):
    return {"ETCD_CA": c.tls.ca, "ETCD_CERT": c.tls.client_cert, "ETCD_KEY": c.tls.client_key, **kw}


def test_tls_client_certificate_and_password_work(secured):
    env = tls_env(secured, ETCD_USER="nova", ETCD_PASSWORD="nova-made-up")
    ok(secured.endpoints, "cas", "/nova/agents/x/store", "0", "sealed", env=env)
    assert "value=sealed" in ok(secured.endpoints, "get", "/nova/agents/x/store", env=env)


def test_wrong_password_is_refused_clearly(secured):
    p = drive(secured.endpoints, "get", "/nova/x", env=tls_env(secured, ETCD_USER="nova", ETCD_PASSWORD="wrong-made-up"))
    assert p.returncode == errno.EACCES
    assert p.stderr == (f"Error: etcd at {secured.endpoints[0]} refused the user name or password: "
                        "check store.etcd.username and store.etcd.passwordFile\n")


def test_missing_user_is_explained(secured):
    p = drive(secured.endpoints, "get", "/nova/x", env=tls_env(secured))
    assert p.returncode == errno.EACCES
    assert p.stderr == (f"Error: etcd at {secured.endpoints[0]} requires authentication: "
                        "set store.etcd.username and store.etcd.passwordFile\n")


def test_prefix_outside_the_role_is_denied(secured):
    p = drive(secured.endpoints, "get", "/other/x", env=tls_env(secured, ETCD_USER="nova", ETCD_PASSWORD="nova-made-up"))
    assert p.returncode == errno.EACCES
    assert p.stderr.startswith(f"Error: etcd at {secured.endpoints[0]} denied /v3/kv/range: "
                               "the etcd user's role must grant readwrite on the store prefix")


def test_without_client_certificate_tls_fails_as_unreachable(secured):
    p = drive(secured.endpoints, "get", "/nova/x", env={"ETCD_CA": secured.tls.ca})
    assert p.returncode == errno.EHOSTUNREACH
    assert p.stderr.startswith("Error: etcd unreachable for /v3/kv/range")


def test_client_certificate_with_a_common_name_is_explained(secured):
    d = pathlib.Path(secured.tls.ca).parent
    env = tls_env(secured, ETCD_USER="nova", ETCD_PASSWORD="nova-made-up",
                  ETCD_CERT=str(d / "client-cn.pem"), ETCD_KEY=str(d / "client-cn.key"))
    p = drive(secured.endpoints, "get", "/nova/x", env=env)
    assert p.returncode == errno.EACCES
    assert p.stderr == (f"Error: etcd at {secured.endpoints[0]} refuses a client certificate with a Common Name on "
                        "its JSON gateway when authentication is on: issue store.etcd.certFile without a CN\n")


def test_unreadable_tls_file_is_named():
    p = drive("https://127.0.0.1:9", "get", "/x", env={"ETCD_CA": "/nonexistent/ca.pem"})
    assert p.returncode == errno.EINVAL
    assert p.stderr == "Error: cannot read store.etcd.caFile '/nonexistent/ca.pem': No such file or directory\n"


def test_token_is_renewed_after_the_member_restarts(secured):
    env = tls_env(secured, ETCD_USER="nova", ETCD_PASSWORD="nova-made-up")
    ok(secured.endpoints, "cas", "/nova/t", "0", "1", env=env)
    # one client across the restart: its token dies with the member's memory
    poll = subprocess.Popen([DRIVER, "poll", "/nova/t", "20", "250"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "ETCD_ENDPOINTS": secured.endpoints_env, **env})
    assert poll.stdout.readline() == "1\n"
    secured.members[0].restart()
    out = poll.communicate(timeout=60)[0]
    assert poll.returncode == 0, out
    assert out.splitlines()[-1] == "1"
