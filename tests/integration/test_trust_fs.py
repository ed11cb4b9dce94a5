"""Promises of the mount under real use (issue "Trust II"): long values
read back whole, stat never waits, a hung provider stalls nothing, the CLI
and the mount agree (and inotify says so), listings are sets, sizes and
times are true, and memory stays bounded. Every secret here is made up."""
import json
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import is_dead_mount, rss_kib, wait_for

P = "agents/main/profiles"
KEY = "sk-test-0123456789abcdefghijklmnop"
SECRET_MAX = 8192


def now_ms():
    return int(time.time() * 1000)


def import_doc(state, profiles):
    src = state.dir / f"import-{time.time_ns()}.json"
    src.write_text(json.dumps({"version": 1, "profiles": profiles}))
    r = state.run("store", "import", str(src))
    assert r.returncode == 0, r.err
    src.unlink()


@pytest.fixture
def hung_endpoint():
    """A listening socket nobody answers: connections are accepted by the
    kernel's backlog and then hang, as a stuck token endpoint does."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


# 4. Long tokens

@pytest.mark.parametrize("size", [2000, SECRET_MAX])
def test_long_token_reads_back_whole_through_every_file(state, mount, size):
    key = "sk-test-" + "L" * (size - len("sk-test-"))
    state.paste("openai", key)
    state.paste("openai", key, "--profile-id", "long")
    m = mount()
    assert (m / f"{P}/openai/token").read_text() == key + "\n"
    assert (m / f"{P}/openai/long/token").read_text() == key + "\n"
    doc = json.loads((m / "agents/main/auth-profiles.json").read_text())
    assert doc["profiles"]["openai:long"]["key"] == key
    assert os.stat(m / f"{P}/openai/long/token").st_size == size + 1


def test_longest_token_written_through_the_mount_reads_back_whole(state, mount):
    key = "sk-test-" + "W" * (SECRET_MAX - len("sk-test-"))
    state.paste("openai", KEY)
    m = mount()
    with open(m / f"{P}/openai/token", "w") as f:
        f.write(key + "\n")
    assert (m / f"{P}/openai/token").read_text() == key + "\n"
    assert state.run("models", "auth", "token", "--provider", "openai").out == key + "\n"


# 5. stat never touches the network or the store lock

def test_stat_of_a_due_oauth_token_neither_refreshes_nor_blocks_a_cli_write(state, mount, hung_endpoint):
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": hung_endpoint}}}}})
    access = "acc-test-due-0123456789"
    import_doc(state, {"anthropic:default": {"type": "oauth", "provider": "anthropic", "access": access,
                                             "refresh": "ref-test-hung-0123456789", "expires": now_ms() + 60_000}})
    m = mount()
    t = time.time()
    st = os.stat(m / f"{P}/anthropic/token")
    os.stat(m / f"{P}/anthropic/default/token")
    subprocess.run(["ls", "-l", str(m / f"{P}/anthropic"), str(m / f"{P}/anthropic/default")], capture_output=True, check=True)
    assert time.time() - t < 1.0
    assert st.st_size == len(access) + 1  # the stored secret, as it is, and a newline
    t = time.time()
    state.paste("openai", KEY)  # the agent's lock is free
    assert time.time() - t < 3.0


# 6. One slow provider never stalls the mount

def test_token_reads_stay_fast_while_40_readers_wait_on_a_hung_provider(state, mount):
    state.write_config({"fs": {"probeTimeoutMs": 20000}})
    state.paste("openai", "sk-test-stall-hang-0123456789-abcdef")
    state.paste("anthropic", "sk-ant-api03-test-fine-0123456789-abcdef")
    m = mount()
    readers = [subprocess.Popen(["cat", str(m / f"{P}/openai/status")], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(40)]
    try:
        time.sleep(1.0)  # all 40 are waiting now
        worst = 0.0
        for _ in range(10):
            t = time.time()
            assert (m / f"{P}/anthropic/token").read_text() == "sk-ant-api03-test-fine-0123456789-abcdef\n"
            worst = max(worst, time.time() - t)
        assert worst < 1.0, worst
        assert all(r.poll() is None for r in readers[:8])  # still waiting: the test measured what it says
    finally:
        for r in readers:
            r.kill()
            r.wait()


def test_status_readers_beyond_the_limit_get_an_answer_at_once(state, mount):
    state.write_config({"fs": {"probeTimeoutMs": 20000}})
    state.paste("openai", "sk-test-many-hang-0123456789-abcdef")
    m = mount()
    readers = [subprocess.Popen(["cat", str(m / f"{P}/openai/status")], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL) for _ in range(140)]
    try:
        time.sleep(3.0)
        done = [r for r in readers if r.poll() is not None]
        assert done, "every reader is still waiting"
        out = done[0].stdout.read().decode()
        assert "probe: pending" in out and "probe_message: a live check is in progress" in out
    finally:
        for r in readers:
            r.kill()
            r.wait()


# 7. The CLI and the mount agree within a second, and inotify sees it

def test_cli_config_change_shows_in_the_mount_within_a_second(state, mount):
    state.write_config({"auth": {"order": {"openai": ["openai:a"]}}})
    state.paste("openai", KEY, "--profile-id", "a")
    m = mount()
    assert (m / f"{P}/openai/order").read_text() == "openai:a\n"
    state.paste("openai", KEY + "b", "--profile-id", "b")  # goes to the front of auth.order
    wait_for(lambda: (m / f"{P}/openai/order").read_text() == "openai:b\nopenai:a\n", timeout=1.5)


def inotify_events(d, action):
    """What `inotifywait -m -r d` reports while action runs (and a second after)."""
    w = subprocess.Popen(["inotifywait", "-m", "-r", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: "Watches established" in w.stderr.readline(), timeout=5)
        action()
        time.sleep(1.0)
    finally:
        w.terminate()
    return w.communicate(timeout=5)[0].splitlines()


def test_inotifywait_on_the_mount_sees_a_cli_write(state, mount):
    state.paste("openai", KEY)
    m = mount()
    d = m / f"{P}/openai"
    (d / "token").read_text()
    events = inotify_events(d, lambda: state.paste("openai", KEY + "new"))
    assert any(line.endswith("ATTRIB token") for line in events), events


def test_inotifywait_sees_a_write_made_through_the_mount(state, mount):
    state.paste("openai", KEY)
    m = mount()
    d = m / f"{P}/openai"
    (d / "default/token").read_text()
    events = inotify_events(d, lambda: (d / "default/token").write_text(KEY + "x\n"))
    # the other file that changed with it, not only the one written
    assert any(line.endswith("/openai/ ATTRIB token") for line in events), events


def abort_fuse_connection(path):
    """Abort the FUSE connection behind a hung mount (fusectl): the only
    way to free what is stuck on it, so the suite does not hang."""
    if not os.listdir("/sys/fs/fuse/connections"):
        subprocess.run(["mount", "-t", "fusectl", "none", "/sys/fs/fuse/connections"])
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[4] == str(path):
            with open(f"/sys/fs/fuse/connections/{f[2].split(':')[1]}/abort", "w") as a:
                a.write("1")


def test_kill_9_while_changes_are_announced_leaves_enotconn(state, mount):
    # the touches that inotify needs are made through the mount: if the
    # daemon itself waited on them, kill -9 would leave a zombie and a
    # mount that hangs instead of answering ENOTCONN
    state.paste("openai", KEY)
    m = mount()
    (m / f"{P}/openai/token").read_text()
    (m / f"{P}/openai/default/status").stat()
    stop = threading.Event()

    def storm(key):
        while not stop.is_set():
            try:
                (m / f"{P}/openai/token").write_text(key + "\n")
            except OSError:
                pass
    writers = [threading.Thread(target=storm, args=(KEY + str(i),)) for i in range(3)]
    for w in writers:
        w.start()
    try:
        time.sleep(1.0)  # touches in flight all the time now
        pid = m.pid()[0]
        os.kill(pid, 9)
        # a stat of a hung mount would hang too: watch the process go
        try:
            wait_for(lambda: not os.path.exists(f"/proc/{pid}"), timeout=10.0)
        except AssertionError:
            abort_fuse_connection(m.path)
            raise AssertionError("kill -9 left a zombie and a hung mount, not ENOTCONN")
        assert is_dead_mount(m.path)
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=10)


# 9. Listings are a set

def test_a_mkdir_then_stored_profile_is_listed_once(state, mount):
    state.write_config({"models": {"providers": {"newprov": {"baseUrl": state.fake.url}}}})  # a provider of one's own is declared
    state.paste("openai", KEY)
    m = mount()
    os.mkdir(m / f"{P}/openai/p")
    (m / f"{P}/openai/p/token").write_text(KEY + "p\n")
    names = os.listdir(m / f"{P}/openai")
    assert names.count("p") == 1, names
    os.mkdir(m / f"{P}/newprov")
    (m / f"{P}/newprov/token").write_text(KEY + "n\n")
    assert os.listdir(m / P).count("newprov") == 1


def test_every_mkdir_is_listed_not_only_the_first_64(state, mount):
    state.paste("openai", KEY)
    m = mount()
    for i in range(300):
        os.mkdir(m / f"{P}/openai/d{i}")
    names = set(os.listdir(m / f"{P}/openai"))
    assert {f"d{i}" for i in range(300)} <= names


def test_more_than_1024_stored_profiles_are_all_listed(state, mount):
    import_doc(state, {f"openai:s{i}": {"type": "api_key", "provider": "openai", "key": f"{KEY}{i}"} for i in range(1100)})
    m = mount()
    names = os.listdir(m / f"{P}/openai")
    assert len([n for n in names if n[0] == "s" and n[1:].isdigit()]) == 1100


# 10. Sizes and times tell the truth

def test_status_size_is_what_a_read_returns(state, mount):
    state.paste("openai", KEY)
    m = mount()
    path = m / f"{P}/openai/status"
    assert os.stat(path).st_size > 0  # before any read: a local rendering
    assert subprocess.run(["test", "-s", str(path)]).returncode == 0
    data = path.read_bytes()
    assert os.stat(path).st_size == len(data)
    assert int(subprocess.run(["wc", "-c"], stdin=open(path), capture_output=True, text=True).stdout) == len(data)


def test_auth_profiles_json_size_is_what_a_read_returns(state, mount):
    state.paste("openai", KEY)
    m = mount()
    path = m / "agents/main/auth-profiles.json"
    size = os.stat(path).st_size
    assert size == len(path.read_bytes())
    state.paste("openai", KEY + "-longer-now")
    wait_for(lambda: os.stat(path).st_size == len(path.read_bytes()) != size, timeout=1.5)


def test_mtime_moves_when_the_content_changes(state, mount):
    state.paste("openai", KEY)
    time.sleep(0.05)
    m = mount()
    token = m / f"{P}/openai/token"
    source = max(os.stat(state.store()).st_mtime_ns, os.stat(state.config).st_mtime_ns)
    first = os.stat(token)
    assert first.st_mtime_ns == source  # when the store (or config) last changed, not the mount time
    time.sleep(0.05)
    state.paste("openai", KEY + "changed")
    wait_for(lambda: os.stat(token).st_mtime_ns > first.st_mtime_ns, timeout=1.5)
    assert os.stat(token).st_ctime_ns == os.stat(token).st_mtime_ns


# 11. Bounded memory

def make_agents(state, n):
    """n agents a00000... with plaintext stores (legacy, still read: quick to make here)."""
    for i in range(n):
        d = state.dir / "agents" / f"a{i:05d}" / "agent"
        d.mkdir(parents=True)
        doc = {"version": 1, "profiles": {f"{p}:default": {"type": "api_key", "provider": p, "key": f"sk-test-rss-{p}-{i:05d}-padding"}
                                          for p in ("anthropic", "openai", "openrouter")}}
        (d / "auth-profiles.json").write_text(json.dumps(doc))


def test_stores_closed_to_make_room_are_safe_under_concurrent_readers(state, mount):
    # far more agents than stay open, read at random by 8 threads while
    # another writes: a store closed under a reader would crash (ASan in
    # make reliability) or serve the wrong secret
    state.write_config({"fs": {"openAgentsMax": 2}})
    make_agents(state, 600)
    m = mount()
    import random
    bad = []

    def reader(seed):
        rnd = random.Random(seed)
        for _ in range(400):
            i = rnd.randrange(600)
            got = (m / f"agents/a{i:05d}/profiles/openrouter/token").read_text()
            if got != f"sk-test-rss-openrouter-{i:05d}-padding\n":
                bad.append((i, got[:40]))

    def writer():
        for k in range(60):
            i = (k * 37) % 600
            (m / f"agents/a{i:05d}/profiles/openai/token").write_text(f"sk-test-rewritten-{i:05d}-padding-0123456789\n")
    def guarded(fn, *args):
        try:
            fn(*args)
        except OSError as e:  # a failed read or write is a finding, not a lost thread
            bad.append(e)
    threads = [threading.Thread(target=guarded, args=(reader, s)) for s in range(8)] + [threading.Thread(target=guarded, args=(writer,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not bad, bad[:3]
    assert (m / "agents/a00037/profiles/openai/token").read_text() == "sk-test-rewritten-00037-padding-0123456789\n"
    assert m.pid(), "the daemon died"


def test_walking_2000_agents_keeps_the_daemon_small(state, mount):
    if os.environ.get("NOVA_ENGINE_SANITIZE") == "1":
        pytest.skip("ASan's quarantine keeps freed memory")
    make_agents(state, 2000)
    m = mount()
    for i in range(2000):
        assert (m / f"agents/a{i:05d}/profiles/openai/token").read_text().startswith("sk-test-rss-openai")
    rss = rss_kib(m.pid()[0]) / 1024
    assert rss < 24, f"{rss:.1f} MiB"
