"""The store under concurrency and crashes; legacy plaintext, import,
export and rekey."""
import fcntl
import json
import os
import signal
import subprocess
import time

from conftest import BIN, wait_for

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvw"


def test_four_writers_250_each_all_present(state):
    state.paste("openai", KEY)  # creates key and dirs before the race
    script = (
        'for i in $(seq 1 250); do printf "%s" "sk-test-w$W-$i-padding-0123456789abcdef" | '
        '"$BIN" models auth paste-api-key --provider openai --profile-id "w$W-$i" >/dev/null || exit 1; done'
    )
    procs = [subprocess.Popen(["sh", "-c", script], env={**state.env, "W": str(w), "BIN": BIN})
             for w in range(4)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    rows = json.loads(state.run("models", "auth", "list", "--json").out)
    ids = {r["id"] for r in rows}
    assert len([i for i in ids if i.startswith("openai:w")]) == 1000
    cfg = json.loads(state.config.read_text())
    assert len(cfg["auth"]["profiles"]) == 1001


def test_kill_9_during_writes_leaves_a_store_that_opens(state):
    state.paste("openai", KEY)
    acknowledged = set()
    for round in range(40):
        p = subprocess.Popen([BIN, "models", "auth", "paste-api-key", "--provider", "openai",
                              "--profile-id", f"k{round}"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=state.env)
        p.stdin.write(f"sk-test-kill-{round}-padding-0123456789abcdef".encode())
        p.stdin.close()
        time.sleep((round % 10) / 2000)
        p.send_signal(signal.SIGKILL)
        if p.wait() == 0:
            acknowledged.add(f"openai:k{round}")
        listing = state.run("models", "auth", "list", "--json")
        assert listing.returncode == 0, listing.err
    ids = {r["id"] for r in json.loads(state.run("models", "auth", "list", "--json").out)}
    assert acknowledged <= ids
    assert "openai:default" in ids
    leftovers = [f for f in os.listdir(state.store().parent) if ".tmp." in f]
    # a killed writer may leave its temp file; it never replaces the store
    assert all(f.startswith("auth-profiles.json.tmp.") for f in leftovers)


LEGACY = {"version": 1,
          "profiles": {"anthropic:old": {"type": "api_key", "provider": "anthropic", "key": "sk-test-legacy-key-1234567"}},
          "order": {"anthropic": ["anthropic:old"]}}


def test_plaintext_legacy_store_is_read_as_is(state):
    state.store().parent.mkdir(parents=True)
    state.store().write_text(json.dumps(LEGACY))
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == "sk-test-legacy-key-1234567\n"
    assert json.loads(state.store().read_text()) == LEGACY  # reading never rewrites


def test_import_never_echoes_a_secret_pasted_into_the_provider_field(state, tmp_path):
    leak = "sk-test-leak-0123456789abcdefghijklmnop"
    src = tmp_path / "mixed-up.json"
    src.write_text(json.dumps({"version": 1, "profiles": {"openai:default": {
        "type": "api_key", "provider": leak, "key": "sk-test-0123456789abcdef0123"}}}))
    p = state.run("store", "import", str(src))
    assert p.returncode == 1 and leak[:10] not in p.err + p.out
    assert 'credential\'s "provider" field is not "openai"' in p.err
    src.write_text(json.dumps({"version": 1, "profiles": {"openai:b": {
        "type": "api_key", "provider": "anthropic", "key": "sk-test-0123456789abcdef0123"}}}))
    assert 'credential is for provider "anthropic", not "openai"' in state.run("store", "import", str(src)).err


def test_an_envelope_naming_no_key_is_called_damaged(state):
    state.paste("openai", "sk-test-0123456789abcdef0123456789")
    env = json.loads(state.store().read_text())
    env["keyId"] = 7  # not a string: no key id at all
    state.store().write_text(json.dumps(env))
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert p.returncode == 1
    assert p.err == f"Error: {state.store()} is a damaged envelope (it names no key): restore it from a backup or another host\n"


def test_import_seals_and_export_prints(state, tmp_path):
    src = tmp_path / "old.json"
    src.write_text(json.dumps(LEGACY))
    p = state.run("store", "import", str(src))
    assert p.returncode == 0, p.err
    assert "Imported 1 auth profile" in p.out
    assert b"sk-test-legacy" not in state.store().read_bytes()
    out = json.loads(state.run("store", "export").out)
    assert out["profiles"] == LEGACY["profiles"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"profiles":{"anthropic:x":{"type":"token","provider":"anthropic","token":"has space"}}}')
    p = state.run("store", "import", str(bad))
    assert p.returncode == 1 and 'profile "anthropic:x"' in p.err


def test_rekey_reseals_every_agent(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work"}]}})
    state.paste("openai", KEY)
    state.paste("openai", KEY + "w", "--agent", "work")
    old_key = (state.dir / "store.key").read_text()
    old_ids = {a: json.loads(state.store(a).read_text())["keyId"] for a in ("main", "work")}
    p = state.run("store", "rekey")
    assert p.returncode == 0, p.err
    assert "Resealed 2 stores" in p.out
    assert (state.dir / "store.key").read_text() != old_key
    for a in ("main", "work"):
        assert json.loads(state.store(a).read_text())["keyId"] != old_ids[a]
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "work").out == KEY + "w\n"


def hold_work_for_a_rekey(state):
    """Agents main and work with a key each, and work's store lock held:
    a rekey reseals main, then waits at work. Returns (main's key id
    before, the held lock: close it to let the rekey go on)."""
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work"}]}})
    state.paste("openai", KEY)
    state.paste("openai", KEY + "w", "--agent", "work")
    old_id = json.loads(state.store().read_text())["keyId"]
    lock = open(state.dir / "agents/work/agent/auth-profiles.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return old_id, lock


def start_rekey(state, out=subprocess.PIPE):
    return subprocess.Popen([BIN, "store", "rekey"], env=state.env, stdout=out, stderr=out, text=True)


def wait_main_resealed(state, old_id):
    wait_for(lambda: json.loads(state.store().read_text())["keyId"] != old_id)


def test_write_during_a_rekey_is_sealed_with_the_new_key(state):
    # A write that lands after the rekey resealed its store but before the
    # new key is installed must not be sealed with the key about to go.
    old_id, lock = hold_work_for_a_rekey(state)  # the rekey stops at work, after main
    rekey = start_rekey(state)
    try:
        wait_main_resealed(state, old_id)
        p = state.paste("openai", KEY + "n", "--profile-id", "during")
        assert p.returncode == 0, p.err
    finally:
        lock.close()
        out, err = rekey.communicate(timeout=30)
    assert rekey.returncode == 0, err
    p = state.run("models", "auth", "token", "openai:during")
    assert p.returncode == 0 and p.out == KEY + "n\n", p.err
    assert state.run("doctor").returncode == 0


def test_two_rekeys_at_once_take_turns(state):
    # A second rekey started while one is under way waits for it; before,
    # each could make its own <key>.next and strand the stores the other
    # sealed (seen as "sealed with key X, but the key in use is Y").
    old_id, lock = hold_work_for_a_rekey(state)  # the first rekey stops at work, after main
    rekeys = []
    try:
        rekeys.append(start_rekey(state))
        wait_main_resealed(state, old_id)
        rekeys.append(start_rekey(state))
        time.sleep(0.3)  # the second is under way too (a pass does not depend on it)
    finally:
        lock.close()
        done = [r.communicate(timeout=30) for r in rekeys]
    assert [r.returncode for r in rekeys] == [0, 0], done
    assert not (state.dir / "store.key.next").exists()
    for agent, want in (("main", KEY), ("work", KEY + "w")):
        p = state.run("models", "auth", "token", "--provider", "openai", "--agent", agent)
        assert p.returncode == 0 and p.out == want + "\n", p.err
    assert state.run("doctor").returncode == 0


def test_interrupted_rekey_is_told_by_doctor_and_finished_by_a_rerun(state):
    old_id, lock = hold_work_for_a_rekey(state)
    rekey = start_rekey(state, subprocess.DEVNULL)
    try:
        wait_main_resealed(state, old_id)
        rekey.kill()  # main resealed with the next key, work not yet
        rekey.wait()
    finally:
        lock.close()
    p = state.run("doctor")
    assert p.returncode == 1 and "a rekey was interrupted" in p.out and "store rekey" in p.out, p.out
    state.paste("openai", KEY + "n", "--profile-id", "after")
    assert state.run("store", "rekey").returncode == 0
    assert state.run("doctor").returncode == 0
    for agent, ident, want in (("main", "openai:default", KEY), ("main", "openai:after", KEY + "n"),
                               ("work", "openai:default", KEY + "w")):
        p = state.run("models", "auth", "token", ident, "--agent", agent)
        assert p.returncode == 0 and p.out == want + "\n", p.err


def test_key_file_from_env_and_systemd_credentials(state, tmp_path):
    keyfile = tmp_path / "k" / "custom.key"
    env = {"NOVA_ENGINE_KEY_FILE": str(keyfile)}
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", input=KEY, env=env)
    assert p.returncode == 0, p.err
    assert keyfile.exists() and not (state.dir / "store.key").exists()
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "nova-engine.key").write_bytes(keyfile.read_bytes())
    os.chmod(creds / "nova-engine.key", 0o400)
    p = state.run("models", "auth", "token", "--provider", "openai", env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert p.out == KEY + "\n"
