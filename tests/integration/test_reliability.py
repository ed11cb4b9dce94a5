"""Crash safety, secret hygiene, load and faults (issue 7)."""
import json
import os
import random
import secrets
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, rss_kib, wait_for

P = "agents/main/profiles"


def test_200_rounds_of_kill_9_during_concurrent_writes(state):
    state.paste("openai", "sk-test-base-0123456789-0123456789abcdef")
    state.paste("openai", "sk-test-alt-0123456789-0123456789abcdef", "--profile-id", "alt")
    acknowledged = set()
    rng = random.Random(7)
    for r in range(200):
        paste = subprocess.Popen([BIN, "models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", f"r{r}"],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=state.env)
        order = subprocess.Popen([BIN, "models", "auth", "order", "set", "--provider", "openai",
                                  *(["alt", "default"] if r % 2 else ["default", "alt"])],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=state.env)
        paste.stdin.write(f"sk-test-round-{r}-padding-0123456789abcdef".encode())
        paste.stdin.close()
        time.sleep(rng.random() * 0.01)
        victim = paste if r % 3 else order
        victim.send_signal(signal.SIGKILL)
        if paste.wait() == 0:
            acknowledged.add(f"openai:r{r}")
        order.wait()
        listing = state.run("models", "auth", "list", "--json")
        assert listing.returncode == 0, (r, listing.err)
        ids = {row["id"] for row in json.loads(listing.out)}
        assert acknowledged <= ids, (r, acknowledged - ids)
    assert len(acknowledged) > 20  # the race was real: some writes landed


CANARY = "sk-canary-" + secrets.token_hex(12) + "-f401-"


def test_canary_secret_never_leaks(state, mount, tmp_path):
    outputs = []

    def run(*args, **kw):
        p = state.run(*args, **kw)
        outputs.append(p.out + p.err)
        return p
    run("models", "auth", "paste-api-key", "--provider", "anthropic", input=CANARY)
    run("models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "x", input=CANARY + " tail")
    run("models", "status")
    run("models", "status", "--json")
    run("models", "status", "--probe", "--json")   # the fake echoes the key in its 401 message
    run("models", "auth", "list", "--json")
    run("models", "auth", "order", "get", "--provider", "anthropic")
    run("doctor", "--json")
    run("models", "session", "s1", "/model", "anthropic/claude-opus-4-5")
    run("models", "session", "s1", "/model", "status")
    m = mount()
    for rel in [f"{P}/anthropic/status", f"{P}/anthropic/status.json", f"{P}/anthropic/default/status",
                f"{P}/anthropic/default/health", f"{P}/anthropic/order", ".nova-engine/metrics",
                "agents/main/sessions/s1/model"]:
        outputs.append((m / rel).read_text())
    r = subprocess.run(["bash", "-c", f"echo '{CANARY} x' > {m / P}/anthropic/token"], capture_output=True, text=True)
    outputs.append(r.stdout + r.stderr)
    raw = bytearray(state.store().read_bytes())
    raw[-20] ^= 1
    state.store().write_bytes(bytes(raw))
    run("models", "auth", "token", "--provider", "anthropic")
    outputs.append(m.log.read_text())
    leaked = [o for o in outputs if CANARY in o]
    assert not leaked, leaked[0][:300]
    for f in state.dir.rglob("*"):
        if f.is_file() and f.name != "store.key":
            assert CANARY.encode() not in f.read_bytes(), f
    pid = m.pid()[0]
    limits = open(f"/proc/{pid}/limits").read()
    assert [l for l in limits.splitlines() if l.startswith("Max core file size")][0].split()[4:6] == ["0", "0"]
    assert not [f for f in os.listdir(tmp_path) if f.startswith("core")]


def test_load_8_readers_100000_reads_while_writing(state, mount):
    a, b = "sk-test-load-A-" + "a" * 40, "sk-test-load-B-" + "b" * 40
    state.paste("openai", a)
    state.paste("openai", b, "--profile-id", "other")
    m = mount()
    tok = str(m / f"{P}/openai/token")
    pid = m.pid()[0]
    # warm up both paths before measuring memory (a worker's first
    # allocations grow its malloc arena once)
    warm = [threading.Thread(target=lambda: [os.close(os.open(tok, os.O_RDONLY)) for _ in range(500)])
            for _ in range(8)]
    for t in warm:
        t.start()
    for i in range(200):
        with open(m / f"{P}/openai/default/token", "w") as f:
            f.write(a + "\n")
        with open(m / f"{P}/openai/order", "w") as f:
            f.write(("other default" if i % 2 else "default other") + "\n")
    for t in warm:
        t.join()
    rss0 = rss_kib(pid)
    stop = threading.Event()
    bad, errors, reads = [], [], [0] * 8

    def reader(i):
        while reads[i] < 100000 // 8:
            try:
                fd = os.open(tok, os.O_RDONLY)
                data = os.read(fd, 4096)
                os.close(fd)
            except OSError as e:
                errors.append(e)
                continue
            if data not in ((a + "\n").encode(), (b + "\n").encode()):
                bad.append(data)
            reads[i] += 1

    def writer():
        n = 0
        while not stop.is_set():
            with open(m / f"{P}/openai/default/token", "w") as f:
                f.write(a + "\n")
            order = ["other", "default"] if n % 2 else ["default", "other"]
            with open(m / f"{P}/openai/order", "w") as f:
                f.write(" ".join(order) + "\n")
            n += 1
    rs = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    w = threading.Thread(target=writer)
    w.start()
    for t in rs:
        t.start()
    for t in rs:
        t.join(timeout=300)
    stop.set()
    w.join(timeout=30)
    assert sum(reads) == 100000
    assert not errors, errors[:3]
    assert not bad, bad[:3]
    if os.environ.get("NOVA_ENGINE_SANITIZE") != "1":  # ASan keeps freed memory in quarantine
        assert rss_kib(pid) - rss0 < 4096, (rss0, rss_kib(pid))


def test_provider_garbage_and_floods(state):
    state.paste("openai", "sk-test-garbage-garbage-x-0123456789abcdef", "--profile-id", "g")
    state.paste("openai", "sk-test-huge-huge-x-0123456789abcdef", "--profile-id", "h")
    t = time.time()
    out = json.loads(state.run("models", "status", "--probe", "--json").out)
    got = {e["profile"]: e for e in out["probes"]}
    assert got["openai:g"]["probe"] == "ok"
    assert got["openai:h"]["probe"] == "overloaded" and got["openai:h"]["probe_http"] == 500
    assert time.time() - t < 5


@pytest.fixture
def small_disk(state, tmp_path):
    """The state dir on a 256 KiB tmpfs."""
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(d)], check=True)
    state.dir = d / "state"
    state.env["NOVA_ENGINE_STATE_DIR"] = str(state.dir)
    state.write_config({})
    yield d
    subprocess.run(["umount", "-l", str(d)])


def test_disk_full_keeps_what_was_stored(state, small_disk):
    state.paste("openai", "sk-test-before-full-0123-0123456789abcdef")
    before = state.store().read_bytes()
    with open(small_disk / "filler", "wb") as f:
        try:
            f.write(b"x" * (1 << 20))
        except OSError:
            pass
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "more",
                  input="sk-test-after-full-" + "p" * 3000)
    assert p.returncode == 1 and "No space left on device" in p.err
    assert state.store().read_bytes() == before
    assert state.run("models", "auth", "token", "openai:default").out == "sk-test-before-full-0123-0123456789abcdef\n"
    assert not [f for f in os.listdir(state.store().parent) if ".tmp." in f]


def test_read_only_store_dir(state):
    state.paste("openai", "sk-test-ro-0123456789-0123456789abcdef")
    d = state.store().parent
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", str(d)], check=True)
    try:
        p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "x", input="sk-test-x-0123-0123456789abcdefghij")
        assert p.returncode == 1 and "Read-only file system" in p.err
        assert state.run("models", "auth", "token", "openai:default").out == "sk-test-ro-0123456789-0123456789abcdef\n"
    finally:
        subprocess.run(["umount", str(d)])


def test_key_file_vanishes_under_a_running_daemon(state, mount):
    state.paste("openai", "sk-test-keygone-0123456-0123456789abcdef")
    m = mount()
    assert (m / f"{P}/openai/token").read_text() == "sk-test-keygone-0123456-0123456789abcdef\n"
    key = state.dir / "store.key"
    saved = key.read_bytes()
    key.unlink()
    # the daemon holds the key it loaded; the CLI says what is missing
    assert (m / f"{P}/openai/token").read_text() == "sk-test-keygone-0123456-0123456789abcdef\n"
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert p.returncode == 1 and "store.key does not exist" in p.err
    assert not key.exists()
    key.write_bytes(saved)
    os.chmod(key, 0o600)
    assert state.run("models", "auth", "token", "--provider", "openai").out == "sk-test-keygone-0123456-0123456789abcdef\n"


def test_config_swaps_never_free_what_a_token_reader_holds(state, mount, tmp_path):
    """Issue 11.1: the ids order_resolve hands out point into the config;
    SIGHUP storms and token writes (each rewrites the config) swap it while
    readers select. Every read must succeed with a stored value (no
    spurious ENOKEY) and the daemon must stay up; under ASan (make
    reliability) a use after free aborts it and leaves a report."""
    keys = {f"sk-test-swap-{n}-" + n * 30 for n in ("a", "b", "c")}
    a, b, c = sorted(keys)
    state.write_config({"auth": {"profiles": {f"openai:{n}": {"provider": "openai", "mode": "api_key"}
                                              for n in ("default", "b", "c")}}})
    state.paste("openai", a)
    state.paste("openai", b, "--profile-id", "b")
    state.paste("openai", c, "--profile-id", "c")
    asan_log = tmp_path / "asan"
    state.env["ASAN_OPTIONS"] = f"log_path={asan_log}:abort_on_error=0"
    m = mount()
    pid = m.pid()[0]
    tok = str(m / f"{P}/openai/token")
    stop = threading.Event()
    failures, bad, reads = [], [], [0] * 4
    want = {(k + "\n").encode() for k in keys}

    def reader(i):
        while reads[i] < READS_PER_READER:
            try:
                fd = os.open(tok, os.O_RDONLY)
                data = os.read(fd, 4096)
                os.close(fd)
            except OSError as e:
                failures.append(e.errno)
                if e.errno == 107:  # ENOTCONN: the daemon died
                    return
                continue
            if data not in want:
                bad.append(data)
            reads[i] += 1

    def writer(name, key):
        while not stop.is_set():
            with open(m / f"{P}/openai/{name}/token", "w") as f:
                f.write(key + "\n")

    def hup():
        while not stop.is_set():
            os.kill(pid, signal.SIGHUP)
            time.sleep(0.002)
    rs = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    others = [threading.Thread(target=writer, args=("b", b)), threading.Thread(target=writer, args=("c", c)),
              threading.Thread(target=hup)]
    for t in others + rs:
        t.start()
    for t in rs:
        t.join(timeout=600)
    stop.set()
    for t in others:
        t.join(timeout=30)
    reports = [p.read_text() for p in tmp_path.glob("asan*")]
    assert not reports, reports[0][:2000]
    assert failures == [], (len(failures), sorted(set(failures)))
    assert not bad, bad[:3]
    assert sum(reads) == 4 * READS_PER_READER


# Under ASan a read costs about ten times more.
READS_PER_READER = 10000 if os.environ.get("NOVA_ENGINE_SANITIZE") == "1" else 25000
