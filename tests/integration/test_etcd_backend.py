"""The store on etcd (SPEC 14) through the built binary and real mounts:
three "hosts" (separate state dirs, one store key, one cluster) as users
run them. Every secret is made up."""
import errno
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, Mount, State, wait_for

P = "agents/main/profiles"
KEY = "sk-or-v1-" + "0123456789abcdef" * 4
KEY2 = "sk-or-v1-" + "fedcba9876543210" * 4


def now_ms():
    return int(time.time() * 1000)


class Host(State):
    def __init__(self, base, fake, etcd, prefix, key_file, name):
        base.mkdir()
        super().__init__(base, fake)
        self.name = name
        self.env["NOVA_ENGINE_KEY_FILE"] = str(key_file)
        self.write_config({"store": {"backend": "etcd", "etcd": {"endpoints": etcd.endpoints, "prefix": prefix}}})


@pytest.fixture
def hosts(tmp_path, fake, etcd, request):
    """Three hosts on one cluster and one key (each has a copy in real life:
    one file here), under a prefix of this test's own."""
    prefix = "/t-" + request.node.name[5:45]
    etcd.delete_prefix(prefix + "/")
    key = tmp_path / "store.key"
    hs = [Host(tmp_path / n, fake, etcd, prefix, key, n) for n in "ABC"]
    for h in hs:
        h.prefix = prefix
    mounts = []

    def mount(h):
        m = Mount(h, h.dir.parent / "mnt")
        mounts.append(m)
        return m
    for h in hs:
        h.mount = mount
    yield hs
    for m in mounts:
        m.unmount()


def test_a_credential_stored_on_one_host_is_used_by_the_others(hosts, etcd):
    a, b, c = hosts
    a.paste("openrouter", KEY)
    for h in (b, c):
        p = h.run("models", "auth", "token", "--provider", "openrouter")
        assert p.returncode == 0, p.err
        assert p.out == KEY + "\n"
    # etcd holds the sealed envelope only, at <prefix>/agents/<id>/store
    raw = etcd.get(f"{a.prefix}/agents/main/store")
    assert json.loads(raw)["format"] == "nova-engine-sealed/1" and KEY.encode() not in raw
    assert not a.store().exists()
    assert b.run("models", "auth", "order", "get", "--provider", "openrouter").out.splitlines()[2] == \
        f"Auth store: etcd:{a.prefix}/agents/main/store"


def test_write_on_a_reads_on_b_and_c_within_one_second(hosts):
    a, b, c = hosts
    a.paste("openrouter", KEY)
    ma, mb, mc = (h.mount(h) for h in hosts)
    for m in (mb, mc):
        assert (m / f"{P}/openrouter/token").read_text() == KEY + "\n"
    t0 = time.time()
    (ma / f"{P}/openrouter/token").write_text(KEY2 + "\n")
    for m in (mb, mc):
        wait_for(lambda: (m / f"{P}/openrouter/token").read_text() == KEY2 + "\n", timeout=1.0)
    assert time.time() - t0 < 2.0


def test_three_hosts_times_200_concurrent_writes_lose_nothing(hosts):
    ms = [h.mount(h) for h in hosts]
    script = ('for i in $(seq 0 199); do d="$0/agents/main/profiles/openrouter/$1$i"; mkdir "$d" && '
              'echo "sk-or-v1-$1-$i-0123456789abcdef0123456789abcdef" > "$d/token" || exit 1; done')
    procs = [subprocess.Popen(["bash", "-c", script, str(m.path), f"h{h.name}"], stderr=subprocess.PIPE, text=True)
             for h, m in zip(hosts, ms)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errs
    ids = [line.split()[0] for line in hosts[0].run("models", "auth", "list", "--provider", "openrouter").out.splitlines()]
    assert len(ids) == 600
    assert set(ids) == {f"openrouter:h{n}{i}" for n in "ABC" for i in range(200)}


def freeze(member):
    """SIGSTOP a member: its sockets stay open but nothing answers (a
    paused VM, a partition without resets). thaw() undoes it."""
    os.killpg(member.proc.pid, signal.SIGSTOP)


def thaw(member):
    os.killpg(member.proc.pid, signal.SIGCONT)


def test_a_write_over_a_change_the_watch_has_not_delivered_is_kept(hosts, etcd):
    """B's watch hangs on a frozen member, so B's cache misses A's write;
    B's write then loses the compare-and-swap and must retry on what won,
    not on its stale copy until the tries run out (the write failed at
    close, which `echo >` never reports)."""
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    assert (mb / f"{P}/openrouter/token").read_text() == KEY + "\n"
    wait_for(lambda: "nova_engine_etcd_watch_up 1" in (mb / ".nova-engine/metrics").read_text())
    freeze(etcd.members[0])  # the member B's watch listens to
    try:
        a.paste("openrouter", KEY2, "--profile-id", "second")
        d = mb / f"{P}/openrouter/third"
        d.mkdir()
        with open(d / "token", "w") as f:  # close() raises if the store failed
            f.write(KEY + "\n")
    finally:
        thaw(etcd.members[0])
    ids = {line.split()[0] for line in a.run("models", "auth", "list", "--provider", "openrouter").out.splitlines()}
    assert ids == {"openrouter:default", "openrouter:second", "openrouter:third"}


def test_a_watch_hanging_on_a_frozen_member_is_replaced(hosts, etcd):
    """B's watch stream hangs (its member frozen, the socket still open):
    B notices by itself, serves A's write, and watches on elsewhere."""
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    tok = mb / f"{P}/openrouter/token"
    assert tok.read_text() == KEY + "\n"
    wait_for(lambda: metric(mb, "nova_engine_etcd_watch_up") == 1)
    before = metric(mb, "nova_engine_etcd_watch_reconnects_total")
    freeze(etcd.members[0])
    try:
        a.paste("openrouter", KEY2)
        t0 = time.time()
        wait_for(lambda: tok.read_text() == KEY2 + "\n", timeout=5)
        assert time.time() - t0 < 3.5
        wait_for(lambda: metric(mb, "nova_engine_etcd_watch_reconnects_total") > before, timeout=10)
        wait_for(lambda: metric(mb, "nova_engine_etcd_watch_up") == 1, timeout=10)
        a.paste("openrouter", KEY)  # followed by the new stream
        wait_for(lambda: tok.read_text() == KEY + "\n", timeout=3)
    finally:
        thaw(etcd.members[0])


def put_oauth(host, refresh, expires):
    src = host.dir / "import.json"
    src.write_text(json.dumps({"version": 1, "profiles": {"anthropic:default": {
        "type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789", "refresh": refresh,
        "expires": expires}}}))
    p = host.run("store", "import", str(src))
    assert p.returncode == 0, p.err


def test_three_hosts_racing_to_refresh_make_one_refresh_call_50_times(hosts, fake):
    fake.refresh_delay = 0.05
    try:
        for round_ in range(50):
            ref = f"ref-test-fleet-{round_}-{time.time_ns()}"
            fake.add_refresh_token(ref, access_prefix=f"acc-test-fleet{round_}")
            put_oauth(hosts[0], ref, now_ms() - 1000)
            calls = fake.refresh_calls
            outs = [None] * 3

            def token(i):
                outs[i] = subprocess.run([BIN, "models", "auth", "token", "--provider", "anthropic"],
                                         capture_output=True, text=True, env=hosts[i].env, timeout=60)
            ts = [threading.Thread(target=token, args=(i,)) for i in range(3)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(timeout=60)
            assert all(o.returncode == 0 for o in outs), [o.stderr for o in outs]
            assert fake.refresh_calls == calls + 1, round_
            assert len({o.stdout for o in outs}) == 1 and outs[0].stdout.startswith(f"acc-test-fleet{round_}-")
    finally:
        fake.refresh_delay = 0


def test_one_member_down_changes_nothing(hosts, etcd):
    a, b, _ = hosts
    victim = etcd.members[0]  # the first endpoint every host tries
    victim.kill()
    try:
        a.paste("openrouter", KEY)
        assert b.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"
    finally:
        victim.restart()
        etcd.wait_healthy()


def test_etcd_endpoints_from_the_environment_win(hosts, etcd):
    a = hosts[0]
    a.paste("openrouter", KEY)
    copy = a.dir / "agents/main/agent/auth-profiles.etcd-copy"
    assert copy.exists() and oct(copy.stat().st_mode & 0o777) == "0o600"
    copy.unlink()  # no copy seen on this host: nothing to serve without etcd
    p = a.run("models", "auth", "list", env={"NOVA_ENGINE_ETCD_ENDPOINTS": "http://127.0.0.1:9"})
    assert p.returncode == 1
    assert p.err.startswith("Error: etcd unreachable for /v3/kv/range: no endpoint answered (http://127.0.0.1:9; ")
    p = a.run("models", "auth", "list", env={"NOVA_ENGINE_ETCD_ENDPOINTS": ",".join(reversed(etcd.endpoints))})
    assert p.returncode == 0 and "openrouter:default" in p.out


def test_a_store_deleted_in_etcd_does_not_come_back_while_etcd_is_away(hosts, etcd):
    """B saw the store, then saw it deleted (say, to revoke what it held):
    with etcd unreachable, B must not serve its older copy."""
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    assert b.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"
    etcd.delete_prefix(f"{a.prefix}/agents/main/store")
    assert b.run("models", "auth", "token", "--provider", "openrouter").returncode == 1
    assert not (b.dir / "agents/main/agent/auth-profiles.etcd-copy").exists()
    p = b.run("models", "auth", "token", "--provider", "openrouter", env={"NOVA_ENGINE_ETCD_ENDPOINTS": "http://127.0.0.1:9"})
    assert p.returncode == 1 and KEY not in p.out
    assert p.err.startswith("Error: etcd unreachable for /v3/kv/range"), p.err


@pytest.mark.parametrize("n", [150, 250])  # past etcd's request limit; past its gRPC gateway's too
def test_a_store_past_etcds_request_limit_is_refused_clearly(hosts, etcd, n):
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    big = {f"openrouter:p{i}": {"type": "api_key", "provider": "openrouter", "key": f"sk-or-v1-{i:03d}" + "ab" * 4000}
           for i in range(n)}
    src = a.dir / "import.json"
    src.write_text(json.dumps({"version": 1, "profiles": big}))
    p = a.run("store", "import", str(src))
    assert p.returncode == 1
    assert p.err.startswith("Error: etcd at http://127.0.0.1:") and "--max-request-bytes" in p.err, p.err
    assert len(p.err.splitlines()) == 1 and "abab" not in p.err
    assert b.run("models", "auth", "list", "--provider", "openrouter").out.split()[0] == "openrouter:default"


@pytest.mark.parametrize("store,message", [
    ({"backend": "etcd"}, "no etcd endpoints: set store.etcd.endpoints or NOVA_ENGINE_ETCD_ENDPOINTS"),
    ({"backend": "zookeeper"}, 'store.backend must be "file" or "etcd", not "zookeeper"'),
    ({"backend": "etcd", "etcd": {"endpoints": ["http://127.0.0.1:2379"], "prefix": "nova"}},
     "store.etcd.prefix must start with '/', not end with one, and have no spaces (e.g. /nova-engine)"),
    ({"backend": "etcd", "etcd": {"endpoints": "gopher://x"}},
     "etcd endpoint 'gopher://x' is not an http:// or https:// URL (e.g. https://10.0.0.1:2379)"),
    ({"backend": "etcd", "etcd": {"endpoints": ["http://127.0.0.1:2379"], "username": "nova",
                                   "passwordFile": "/nonexistent/pw"}},
     "store.etcd.passwordFile /nonexistent/pw does not exist"),
])
def test_bad_backend_settings_are_one_clear_line(state, store, message):
    state.write_config({"store": store})
    p = state.run("models", "auth", "list")
    assert p.returncode == 1
    assert p.err == f"Error: {message}\n"


def test_the_file_backend_is_the_default_and_untouched(state):
    state.paste("openrouter", KEY)
    assert state.store().exists()
    assert state.run("models", "auth", "order", "get", "--provider", "openrouter").out.splitlines()[2] == \
        f"Auth store: {state.store()}"


def test_an_envelope_copied_to_another_agents_key_does_not_open(hosts, etcd):
    a = hosts[0]
    a.paste("openrouter", KEY)
    a.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]},
                    "store": {"backend": "etcd", "etcd": {"endpoints": etcd.endpoints, "prefix": a.prefix}}})
    etcd.put(f"{a.prefix}/agents/ops/store", etcd.get(f"{a.prefix}/agents/main/store"))
    p = a.run("models", "auth", "list", "--agent", "ops")
    assert p.returncode == 1
    assert p.err.startswith(f"Error: cannot open store etcd:{a.prefix}/agents/ops/store")


def test_a_host_with_another_store_key_is_told_to_share_it(hosts, tmp_path, state):
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    state.env["NOVA_ENGINE_KEY_FILE"] = str(tmp_path / "other.key")
    state.paste("openrouter", KEY)  # makes another key, on a file-backed host
    p = b.run("models", "auth", "list", env={"NOVA_ENGINE_KEY_FILE": str(tmp_path / "other.key")})
    assert p.returncode == 1
    assert p.err.startswith(f"Error: etcd:{a.prefix}/agents/main/store is sealed with key ")
    assert p.err.endswith(": every host needs the same store.key\n")


def test_plaintext_in_etcd_is_refused(hosts, etcd):
    a = hosts[0]
    etcd.put(f"{a.prefix}/agents/main/store", json.dumps({"version": 1, "profiles": {}}))
    p = a.run("models", "auth", "list")
    assert p.returncode == 1
    assert p.err == f"Error: etcd:{a.prefix}/agents/main/store is not a sealed store: only sealed envelopes belong in etcd\n"


def test_a_mount_lives_through_garbage_planted_in_etcd(hosts, etcd):
    """The watch reports the change and the daemon lists the agent's
    directories to announce it: the store does not open, and that listing
    freed rows it never got (munmap_chunk(): invalid pointer, the mount
    gone: ENOTCONN). Now listings fail, reads fail, the daemon stays."""
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    tok = mb / f"{P}/openrouter/token"
    assert tok.read_text() == KEY + "\n"
    key = f"{a.prefix}/agents/main/store"
    good = etcd.get(key)
    etcd.put(key, b"not an envelope")
    for _ in range(3):
        time.sleep(0.3)  # the watch's notice is handled meanwhile
        with pytest.raises(OSError) as e:
            os.listdir(mb / f"{P}/openrouter")
        assert e.value.errno != errno.ENOTCONN
    with pytest.raises(OSError) as e:
        tok.read_text()
    assert e.value.errno != errno.ENOTCONN
    etcd.put(key, good)
    wait_for(lambda: tok.read_text() == KEY + "\n", timeout=2)


def test_a_write_made_during_a_refresh_is_kept(hosts, fake):
    a, b, _ = hosts
    ref = f"ref-test-keep-{time.time_ns()}"
    fake.add_refresh_token(ref, access_prefix="acc-test-kept")
    put_oauth(a, ref, now_ms() - 1000)
    fake.refresh_delay = 1.0
    try:
        t = subprocess.Popen([BIN, "models", "auth", "token", "--provider", "anthropic"], stdout=subprocess.PIPE,
                             text=True, env=a.env)
        time.sleep(0.4)
        b.paste("openrouter", KEY)  # lands while A waits on the token endpoint
        out = t.communicate(timeout=30)[0]
    finally:
        fake.refresh_delay = 0
    assert t.returncode == 0 and out.startswith("acc-test-kept-")
    assert b.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"
    assert b.run("models", "auth", "token", "--provider", "anthropic").out == out


def test_no_second_key_while_sealed_stores_live_in_etcd(hosts, tmp_path):
    """One key forever (SPEC 12), with the stores in the backend: a host
    whose key file is gone makes no new key while etcd holds a sealed store."""
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    key = tmp_path / "store.key"
    key.rename(tmp_path / "store.key.backup")
    p = b.run("models", "auth", "paste-api-key", "--provider", "openrouter", "--agent", "main",
              input=KEY2 + "\n")
    assert p.returncode == 1
    assert p.err == f"Error: store key missing: restore {key} from your backup\n"
    assert not key.exists()
    (tmp_path / "store.key.backup").rename(key)
    assert b.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"


def inotify_events(d, action, settle=1.0):
    """What `inotifywait -m -r d` reports while action runs (and settle s after)."""
    w = subprocess.Popen(["inotifywait", "-m", "-r", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: "Watches established" in w.stderr.readline(), timeout=5)
        action()
        time.sleep(settle)
    finally:
        w.terminate()
    return w.communicate(timeout=5)[0].splitlines()


def test_inotify_on_b_sees_a_write_made_on_a(hosts):
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    d = mb / f"{P}/openrouter"
    assert (d / "token").read_text() == KEY + "\n"
    wait_for(lambda: "nova_engine_etcd_watch_up 1" in (mb / ".nova-engine/metrics").read_text())
    events = inotify_events(d, lambda: a.paste("openrouter", KEY2))
    assert any(line.endswith("ATTRIB token") for line in events), events
    assert (d / "token").read_text() == KEY2 + "\n"


def metric(m, name):
    for line in (m / ".nova-engine/metrics").read_text().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in metrics")


def test_two_members_down_read_only_then_recovery(hosts, etcd):
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    tok = mb / f"{P}/openrouter/token"
    assert tok.read_text() == KEY + "\n"
    for m in etcd.members[1:]:
        m.kill()
    try:
        # reads go on from the last copy each host saw: the mount, and the CLI
        assert tok.read_text() == KEY + "\n"
        p = a.run("models", "auth", "token", "--provider", "openrouter")
        assert p.returncode == 0 and p.out == KEY + "\n", p.err
        st = a.run("models", "status")
        assert "Store state   : stale since " in st.out, st.out + st.err
        # writes fail clearly and change nothing
        p = a.run("models", "auth", "paste-api-key", "--provider", "openrouter", input=KEY2 + "\n")
        assert p.returncode == 1
        assert p.err.startswith("Error: etcd has no quorum (tried ")
        assert p.err.rstrip().endswith("the store is read-only until a majority of members is back")
        fd = os.open(tok, os.O_WRONLY | os.O_TRUNC)
        try:
            with pytest.raises(OSError) as e:
                os.write(fd, (KEY2 + "\n").encode())
            # a second try on that handle (Python's write_text flushes
            # again at close) says the same, not EINVAL ("a bad value")
            with pytest.raises(OSError) as again:
                os.write(fd, (KEY2 + "\n").encode())
        finally:
            os.close(fd)
        assert e.value.errno == errno.EROFS and again.value.errno == errno.EROFS
    finally:
        for m in etcd.members[1:]:
            m.restart()
    etcd.wait_healthy()
    # back: writes work, and B's daemon follows again by itself
    wait_for(lambda: a.run("models", "auth", "paste-api-key", "--provider", "openrouter",
                           input=KEY2 + "\n").returncode == 0, timeout=20)
    wait_for(lambda: tok.read_text() == KEY2 + "\n", timeout=5)
    assert "Store state" not in a.run("models", "status").out


def test_compaction_under_a_running_watch_is_survived(hosts, etcd):
    a, b, _ = hosts
    a.paste("openrouter", KEY)
    mb = b.mount(b)
    d = mb / f"{P}/openrouter"
    assert (d / "token").read_text() == KEY + "\n"
    wait_for(lambda: metric(mb, "nova_engine_etcd_watch_up") == 1)
    rereads = metric(mb, "nova_engine_etcd_watch_rereads_total")
    # B's watch is on the first member (every host starts there). Freeze B,
    # take that member away (the stream breaks under B), change and compact
    # meanwhile, and let B go on: it resumes from a revision that is gone
    pid = mb.pid()[0]
    os.kill(pid, signal.SIGSTOP)
    try:
        etcd.members[0].kill()
        for i in range(3):
            a.paste("openrouter", KEY + str(i))
        etcd.compact()
    finally:
        os.kill(pid, signal.SIGCONT)
        etcd.members[0].restart()
    etcd.wait_healthy()
    wait_for(lambda: metric(mb, "nova_engine_etcd_watch_rereads_total") > rereads, timeout=10)
    wait_for(lambda: metric(mb, "nova_engine_etcd_watch_up") == 1, timeout=10)
    # and it still follows changes
    events = inotify_events(d, lambda: a.paste("openrouter", KEY2))
    assert any(line.endswith("ATTRIB token") for line in events), events


def test_migrate_to_etcd_and_back_moves_every_agent_and_is_idempotent(state, etcd, request):
    prefix = "/t-migrate"
    etcd.delete_prefix(prefix + "/")
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]},
                        "store": {"etcd": {"endpoints": etcd.endpoints, "prefix": prefix}}})
    state.paste("openrouter", KEY)
    state.paste("openrouter", KEY2, "--agent", "ops")
    p = state.run("store", "migrate", "--to", "etcd")
    assert p.returncode == 0, p.err
    assert p.out == f'Moved 2 stores to etcd (0 already there, identical); store.backend is now "etcd" in {state.config}.\n'
    assert json.loads(state.config.read_text())["store"]["backend"] == "etcd"
    assert sorted(etcd.keys(prefix + "/")) == [f"{prefix}/agents/main/store", f"{prefix}/agents/ops/store"]
    assert state.run("models", "auth", "token", "--provider", "openrouter", "--agent", "ops").out == KEY2 + "\n"
    again = state.run("store", "migrate", "--to", "etcd")
    assert again.returncode == 0 and again.out.startswith("Moved 0 stores to etcd (2 already there, identical)")
    # a change made in etcd, then back to files: the files get it
    state.paste("openrouter", KEY2)
    state.store().unlink()
    p = state.run("store", "migrate", "--to", "file")
    assert p.returncode == 0 and p.out.startswith("Moved 1 store to file (1 already there, identical)"), p.out + p.err
    assert json.loads(state.config.read_text())["store"]["backend"] == "file"
    assert state.run("models", "auth", "token", "--provider", "openrouter").out == KEY2 + "\n"
    assert state.store().exists()


def test_a_running_mount_follows_a_migration_both_ways(state, etcd, tmp_path, fake):
    """The daemon reads store.backend again when the config changes: after
    `store migrate --to etcd` it serves and writes etcd (and follows other
    hosts there), after `--to file` the files again; no remount."""
    prefix = "/t-migrate-mounted"
    etcd.delete_prefix(prefix + "/")
    state.write_config({"store": {"etcd": {"endpoints": etcd.endpoints, "prefix": prefix}}})
    state.paste("openrouter", KEY)
    m = Mount(state, tmp_path / "mnt")
    try:
        tok = m / f"{P}/openrouter/token"
        assert tok.read_text() == KEY + "\n"
        assert "nova_engine_etcd_watch_up" not in (m / ".nova-engine/metrics").read_text()
        assert state.run("store", "migrate", "--to", "etcd").returncode == 0
        other = Host(tmp_path / "other", fake, etcd, prefix, state.dir / "store.key", "other")
        other.paste("openrouter", KEY2)  # written to etcd only
        wait_for(lambda: tok.read_text() == KEY2 + "\n", timeout=3)
        wait_for(lambda: "nova_engine_etcd_watch_up 1" in (m / ".nova-engine/metrics").read_text(), timeout=3)
        tok.write_text(KEY + "\n")  # through the mount: into etcd
        assert other.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"
        other.paste("openrouter", KEY2)  # followed by the watch
        wait_for(lambda: tok.read_text() == KEY2 + "\n", timeout=2)
        state.store().unlink()  # the file the first migration left behind
        assert state.run("store", "migrate", "--to", "file").returncode == 0
        wait_for(lambda: "nova_engine_etcd_watch_up" not in (m / ".nova-engine/metrics").read_text(), timeout=3)
        other.paste("openrouter", KEY)  # etcd is no longer this host's store
        tok.write_text(KEY2 + "X\n")
        assert state.run("models", "auth", "token", "--provider", "openrouter").out == KEY2 + "X\n"
        assert other.run("models", "auth", "token", "--provider", "openrouter").out == KEY + "\n"
    finally:
        m.unmount()


def test_migrate_never_overwrites_a_different_store(state, etcd):
    prefix = "/t-migrate-clash"
    etcd.delete_prefix(prefix + "/")
    cfg = {"store": {"etcd": {"endpoints": etcd.endpoints, "prefix": prefix}}}
    state.write_config(cfg)
    state.paste("openrouter", KEY)
    assert state.run("store", "migrate", "--to", "etcd").returncode == 0
    state.write_config(cfg)  # back to files, where the store still is
    state.paste("openrouter", KEY2)
    p = state.run("store", "migrate", "--to", "etcd")
    assert p.returncode == 1
    assert p.err == (f"Error: etcd:{prefix}/agents/main/store already holds a different store for agent main: "
                     "not overwritten (move or remove it first)\n")
    assert "backend" not in json.loads(state.config.read_text())["store"]


def test_migrate_needs_a_target(state):
    p = state.run("store", "migrate")
    assert p.returncode == 2
    assert p.err.startswith("Error: store migrate needs --to etcd or --to file\n")
    p = state.run("store", "migrate", "--to", "zookeeper")
    assert p.err == "Error: store migrate --to takes etcd or file\n"


def etcd_findings(host):
    p = host.run("doctor", "--json")
    return [f for f in json.loads(p.out)["findings"] if f["check"].startswith(("etcd", "store-backend"))]


def test_doctor_is_quiet_about_a_healthy_cluster(hosts):
    a = hosts[0]
    a.paste("openrouter", KEY)
    assert etcd_findings(a) == []


def test_doctor_reads_more_stores_than_one_etcd_answer_holds(hosts, etcd):
    """Stores past the 8 MiB one answer may hold (7 of 1.3 MiB): doctor
    checks each (listed in pages), not "etcd unreachable"."""
    a = hosts[0]
    a.paste("openrouter", KEY)
    for i in range(7):
        etcd.put(f"{a.prefix}/agents/big{i}/store", b"x" * (1300 * 1024))
    found = etcd_findings(a)
    assert sorted((f["check"], f["subject"]) for f in found) == \
        [("etcd-store", f"etcd:{a.prefix}/agents/big{i}/store") for i in range(7)], found


def test_doctor_names_a_member_that_does_not_answer(hosts, etcd):
    a = hosts[0]
    a.paste("openrouter", KEY)
    victim = etcd.members[2]
    victim.kill()
    try:
        found = etcd_findings(a)
    finally:
        victim.restart()
        etcd.wait_healthy()
    assert [(f["check"], f["severity"], f["subject"]) for f in found] == [("etcd-member", "warning", victim.url)]
    assert found[0]["fix"] == "start that member again, or take it out of store.etcd.endpoints"


def test_doctor_does_not_call_one_frozen_member_a_lost_quorum(hosts, etcd):
    a = hosts[0]
    a.paste("openrouter", KEY)
    victim = etcd.members[2]
    freeze(victim)
    try:
        found = etcd_findings(a)
    finally:
        thaw(victim)
        etcd.wait_healthy()
    assert [(f["check"], f["severity"], f["subject"]) for f in found] == [("etcd-member", "warning", victim.url)]
    assert "quorum" not in found[0]["problem"].replace("may still have a quorum", ""), found[0]["problem"]
    assert "did not answer" in found[0]["problem"]


def test_doctor_finds_an_empty_prefix_and_a_foreign_key(hosts, tmp_path, state):
    a, b, _ = hosts
    found = etcd_findings(a)
    assert [(f["check"], f["subject"], f["problem"]) for f in found] == \
        [("etcd-empty", a.prefix, "no agent store under this prefix in etcd")]
    a.paste("openrouter", KEY)
    state.env["NOVA_ENGINE_KEY_FILE"] = str(tmp_path / "other.key")
    state.paste("openrouter", KEY)  # another key, made on a file-backed host
    b.env["NOVA_ENGINE_KEY_FILE"] = str(tmp_path / "other.key")
    found = etcd_findings(b)
    assert [(f["check"], f["severity"], f["subject"]) for f in found] == \
        [("etcd-key", "error", f"etcd:{a.prefix}/agents/main/store")]
    assert "but this host's store key is" in found[0]["problem"]


def test_doctor_reports_wrong_backend_settings(state):
    state.write_config({"store": {"backend": "etcd"}})
    found = etcd_findings(state)
    assert [(f["check"], f["problem"]) for f in found] == \
        [("store-backend", "no etcd endpoints: set store.etcd.endpoints or NOVA_ENGINE_ETCD_ENDPOINTS")]
