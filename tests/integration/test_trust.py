"""Trust rules (SPEC 5 and 12) tried as an attacker would: a hostile
./.env, plain-http addresses, a lost key, symlinks under doctor --fix and
at temp-file names. Each test stages the attack and shows it fails.
Every secret here is made up."""
import errno
import json
import os
import secrets
import stat
import time

import pytest

from test_oauth import now_ms, put_oauth, stored

KEY = "sk-ant-api03-" + "TrustTestOnlyKey0123456789" * 2
P = "agents/main/profiles"


# -- ./.env is untrusted: only provider credential variables -------------------

HOSTILE_VALUES = ["hostile-config-value", "hostile-key-value", "hostile-state-value"]


def hostile_dotenv(state, fake):
    """A cloned repository's .env that tries to point nova-engine at the
    attacker: another config (whose addresses are the attacker's), a key
    file, a state dir, an agent dir and the login-shell import."""
    evil = state.cwd / "hostile-config-value.json"
    evil.write_text(json.dumps({"models": {"providers": {"anthropic": {
        "baseUrl": fake.url + "/evil", "oauth": {"tokenUrl": fake.url + "/evil/token"}}}}}))
    (state.cwd / ".env").write_text(
        f"NOVA_ENGINE_CONFIG_PATH={evil}\n"
        f"NOVA_ENGINE_KEY_FILE={state.cwd}/hostile-key-value.key\n"
        f"NOVA_ENGINE_STATE_DIR={state.cwd}/hostile-state-value\n"
        f"NOVA_ENGINE_AGENT_DIR={state.cwd}/hostile-agent\n"
        "NOVA_ENGINE_LOAD_SHELL_ENV=1\n"
        "SHELL=/bin/false\n"
        "GROQ_API_KEY=gsk-test-from-cwd-dotenv-0123\n")


def test_hostile_cwd_dotenv_cannot_redirect_stored_credentials(state, fake):
    state.write_config({"models": {"providers": {"anthropic": {"baseUrl": fake.url + "/good"}}}})
    state.paste("anthropic", KEY)
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref)
    put_oauth(state, ref, now_ms() - 1000, pid="anthropic:oauth")
    hostile_dotenv(state, fake)
    p = state.run("models", "status", "--probe")
    assert p.returncode == 0, p.err
    assert f"Config        : {state.config}" in p.out
    t = state.run("models", "auth", "token", "anthropic:oauth")
    assert t.returncode == 0, t.err
    assert fake.count("/evil/v1/models") == 0 and fake.count("/evil/token") == 0
    assert fake.count("/good/v1/models") == 1
    assert stored(state, "anthropic:oauth")["refresh"] != ref  # refreshed at the real endpoint
    assert not (state.cwd / "hostile-key-value.key").exists()
    assert not (state.cwd / "hostile-state-value").exists()
    assert not (state.cwd / "hostile-agent").exists()
    # the credential line is still taken
    assert state.run("models", "auth", "token", "--provider", "groq").out == "gsk-test-from-cwd-dotenv-0123\n"


def test_hostile_cwd_dotenv_cannot_redirect_the_daemon(state, fake, mount):
    state.write_config({"models": {"providers": {"anthropic": {"baseUrl": fake.url + "/good"}}}})
    state.paste("anthropic", KEY)
    hostile_dotenv(state, fake)
    m = mount()
    (m / f"{P}/anthropic/status").read_text()
    assert fake.count("/evil/v1/models") == 0
    assert (m / f"{P}/groq/token").read_text() == "gsk-test-from-cwd-dotenv-0123\n"


def test_doctor_names_each_ignored_cwd_dotenv_line_without_its_value(state, fake):
    hostile_dotenv(state, fake)
    p = state.run("doctor", "--json")
    found = {f["subject"]: f for f in json.loads(p.out)["findings"] if f["check"] == "env-ignored"}
    env = state.cwd / ".env"
    names = ["NOVA_ENGINE_CONFIG_PATH", "NOVA_ENGINE_KEY_FILE", "NOVA_ENGINE_STATE_DIR", "NOVA_ENGINE_AGENT_DIR",
             "NOVA_ENGINE_LOAD_SHELL_ENV", "SHELL"]
    assert sorted(found) == sorted(f"{env}:{i}" for i in range(1, 7))
    for i, name in enumerate(names, 1):
        assert found[f"{env}:{i}"]["problem"].startswith(f"{env}:{i}: {name} is ignored: a .env in the working directory is not trusted")
    assert found[f"{env}:6"]["severity"] == "info" and found[f"{env}:1"]["severity"] == "warning"
    text = state.run("doctor").out
    assert "NOVA_ENGINE_CONFIG_PATH is ignored" in text
    for v in HOSTILE_VALUES + ["gsk-test-from-cwd"]:
        assert v not in p.out + text


@pytest.mark.parametrize("plant", ["another user's", "world-writable"])
def test_a_cwd_dotenv_someone_else_could_write_gives_no_credential(state, plant):
    # a ./.env in /tmp or a shared checkout: its key would send this
    # user's requests (and what they carry) to the planter's account
    env = state.cwd / ".env"
    env.write_text("OPENAI_API_KEY=sk-test-planted-0123456789abcdef\n")
    if plant == "another user's":
        os.chown(env, 65534, 65534)
        os.chmod(env, 0o644)
        why = f"{env} belongs to uid 65534, not to you: nothing is taken from it"
    else:
        os.chmod(env, 0o666)
        why = f"{env} may be written by every user: nothing is taken from it"
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert p.returncode == 1 and "planted" not in p.out + p.err
    assert 'no usable openai credential for agent "main"' in p.err
    found = [f for f in json.loads(state.run("doctor", "--json").out)["findings"] if f["check"] == "env-owner"]
    assert [f["problem"] for f in found] == [why + (" (delete it, or make it yours with chown)" if plant == "another user's"
                                                    else f" (chmod o-w {env})")]
    # made the user's own and not world-writable, it counts again
    os.chown(env, os.getuid(), os.getgid())
    os.chmod(env, 0o600)
    assert state.run("models", "auth", "token", "--provider", "openai").out == "sk-test-planted-0123456789abcdef\n"


def test_state_dotenv_may_set_paths_but_not_the_state_dir(state, tmp_path):
    alt = tmp_path / "alt.json"
    alt.write_text(json.dumps({"models": {"default": "anthropic/alt-model-from-state-env"}}))
    (state.dir / ".env").write_text(f"NOVA_ENGINE_CONFIG_PATH={alt}\n")
    p = state.run("models", "status")
    assert f"Config        : {alt}" in p.out and "alt-model-from-state-env" in p.out
    # the state dir comes from HOME here; its own .env may not move it
    home_state = state.home / ".nova-engine"
    home_state.mkdir(mode=0o700)
    (home_state / ".env").write_text(f"NOVA_ENGINE_STATE_DIR={tmp_path}/elsewhere\n")
    env = {k: v for k, v in state.env.items() if k != "NOVA_ENGINE_STATE_DIR"}
    import subprocess
    from conftest import BIN
    r = subprocess.run([BIN, "models", "status"], capture_output=True, text=True, env=env, cwd=state.cwd)
    assert r.returncode == 0, r.stderr
    assert f"Config        : {home_state}/nova-engine.json" in r.stdout
    assert not (tmp_path / "elsewhere").exists()


def test_a_fifo_planted_as_cwd_dotenv_is_refused_not_waited_on(state):
    # an unpacked archive can carry a FIFO: opening it for reading would
    # block until someone writes, so every command in that directory hung
    os.mkfifo(state.cwd / ".env")
    state.paste("openai", KEY)
    for args in (("models", "status"), ("models", "auth", "token", "--provider", "openai")):
        p = state.run(*args, timeout=5)
        assert p.returncode == 0, p.err
    p = state.run("doctor", timeout=5)
    assert p.returncode != 0 and f"{state.cwd}/.env is not a regular file" in p.out


def test_a_symlinked_config_is_one_line_saying_what_to_do(state, tmp_path):
    # was "cannot open ...: Too many levels of symbolic links"
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    state.config.unlink()
    os.symlink(target, state.config)
    p = state.run("models", "status")
    assert p.returncode == 1 and p.out == ""
    assert p.err == f"Error: {state.config} is a symbolic link, which is not followed: put the file itself there\n"


@pytest.mark.parametrize("make", ["symlink", "multiline", "bom", "nul", "huge"])
def test_a_cwd_dotenv_that_does_not_parse_never_stops_a_command(state, make):
    # another tool's .env (a multi-line PEM value, a BOM, a link) made every
    # command fail in that directory, stored credentials unreachable
    env = state.cwd / ".env"
    if make == "symlink":
        os.symlink("/etc/shadow", env)
    elif make == "huge":
        with open(env, "wb") as f:
            f.truncate(2 << 20)
    else:
        env.write_bytes({"multiline": b'PEM="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nGROQ_API_KEY=gsk-test-0123456789abcdef\n',
                         "bom": b"\xef\xbb\xbfGROQ_API_KEY=gsk-test-0123456789abcdef\n",
                         "nul": b"GROQ_API_KEY=gsk-test-0123456789\0abcdef\n"}[make])
    state.paste("openai", KEY)
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "\n"
    assert state.run("models", "status").returncode == 0
    p = state.run("models", "auth", "token", "--provider", "groq")  # nothing taken from a broken file
    assert p.returncode != 0 and "gsk-test" not in p.out + p.err
    d = state.run("doctor", "--json")
    assert any(f["check"] == "env-syntax" and f["subject"] == str(env) for f in json.loads(d.out)["findings"])


def test_a_cwd_dotenv_credential_is_checked_as_a_paste_is(state, mount, fake):
    # a ./.env value over the limit was handed out cut to 8192 bytes, and
    # one with terminal escapes was printed raw by models auth token
    long = "sk-" + "z" * 9000
    (state.cwd / ".env").write_text(f"OPENAI_API_KEY={long}\nGROQ_API_KEY='gsk-test-0123456789abcdef\x1b]0;PWNED\x07'\n")
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert p.returncode != 0 and p.out == ""
    assert p.err == "Error: OPENAI_API_KEY in the environment is too long (9003 bytes, at most 8192)\n"
    p = state.run("models", "auth", "token", "--provider", "groq")
    assert p.returncode != 0 and p.out == "" and "\x1b" not in p.err
    assert "GROQ_API_KEY in the environment contains a control or non-ASCII byte" in p.err
    m = mount()
    for prov in ("openai", "groq"):
        with pytest.raises(OSError) as e:
            (m / f"{P}/{prov}/token").read_bytes()
        assert e.value.errno == errno.EINVAL
    status = (m / f"{P}/openai/status").read_text()
    assert "usable: false" in status and "is too long (9003 bytes, at most 8192)" in status
    assert state.run("models", "status", "--probe").returncode == 0
    assert fake.count(("secret", long)) == 0 and fake.count(("secret", long[:8192])) == 0  # never probed


# -- credentials only over https, except to loopback -------------------------

def test_probe_refuses_plain_http_to_a_non_loopback_host(state, fake):
    state.write_config({"models": {"providers": {"anthropic": {"baseUrl": "http://10.0.0.1"},
                                                 "openai": {"baseUrl": "http://api.example.invalid:8080/x"}}}})
    state.paste("anthropic", KEY)
    state.paste("openai", "sk-proj-" + "TrustTestOnlyOpenAI0123" * 2)
    t0 = time.monotonic()
    p = state.run("models", "status", "--probe", "--probe-timeout", "30000")
    took = time.monotonic() - t0
    assert p.returncode == 0, p.err
    # nothing was attempted: a connect to 10.0.0.1 would hang until the 30 s timeout
    assert took < 10, took
    assert ("refusing to send a credential to 10.0.0.1 over http: credentials go only over https "
            "(plain http only to loopback); set an https:// address in models.providers.anthropic.baseUrl") in p.out
    assert "refusing to send a credential to api.example.invalid over http" in p.out
    assert "nothing was sent" in p.out
    assert KEY not in p.out + p.err
    j = json.loads(state.run("models", "status", "--probe", "--json").out)
    assert {e["probe"] for e in j["probes"]} == {"refused"}


def test_cat_status_refuses_plain_http_in_the_mount(state, mount):
    state.write_config({"models": {"providers": {"anthropic": {"baseUrl": "http://192.0.2.1"}}}})
    state.paste("anthropic", KEY)
    m = mount()
    t0 = time.monotonic()
    text = (m / f"{P}/anthropic/status").read_text()
    assert time.monotonic() - t0 < 10
    assert "refused" in text and "192.0.2.1" in text


def test_oauth_refresh_refuses_plain_http_token_endpoint(state, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref)
    put_oauth(state, ref, now_ms() - 1000)
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": "http://10.0.0.1/v1/oauth/token"}}}}})
    calls = fake.refresh_calls
    t0 = time.monotonic()
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert time.monotonic() - t0 < 10
    assert p.returncode == 1
    assert "refusing to send a credential to 10.0.0.1 over http" in p.err
    assert "models.providers.anthropic.oauth.tokenUrl" in p.err
    assert ref not in p.out + p.err
    assert fake.refresh_calls == calls
    assert stored(state)["refresh"] == ref  # nothing changed


def test_login_refuses_plain_http_token_endpoint_before_authorizing(state):
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": "http://auth.example.invalid/token"}}}}})
    p = state.run("models", "auth", "login", "--provider", "anthropic")
    assert p.returncode != 0
    assert "refusing to send a credential to auth.example.invalid over http" in p.err
    assert "oauth/authorize" not in p.out + p.err  # no authorize URL handed out


def test_plain_http_to_loopback_never_goes_through_a_proxy(state, fake):
    # with http_proxy set (a corporate proxy), a probe or refresh to a
    # loopback http:// address went to the proxy, key and all, in clear
    import socket
    import threading
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(8)
    proxy.settimeout(0.2)
    got = []

    def accept():
        while proxy.fileno() >= 0:
            try:
                c, _ = proxy.accept()
            except OSError:
                continue
            got.append(c.recv(65536))
            c.close()
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    env = {"http_proxy": url, "HTTP_PROXY": url, "ALL_PROXY": url}
    key = f"sk-test-proxy{time.time_ns()}-padding0123456789abcdef"
    state.paste("openai", key)
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref)
    put_oauth(state, ref, now_ms() - 1000, pid="anthropic:oauth")
    try:
        assert "- openai:default" in state.run("models", "status", "--probe", env=env).out
        assert state.run("models", "auth", "token", "anthropic:oauth", env=env).returncode == 0
    finally:
        proxy.close()
        t.join(timeout=2)
    assert got == []
    assert fake.count(("secret", key)) == 1
    assert stored(state, "anthropic:oauth")["refresh"] != ref  # refreshed at the fake, directly


def test_probe_does_not_follow_a_redirect_with_the_key(state, fake):
    key = "sk-ant-api03-" + "TrustRedirect-redirect-Only0123456789" * 2
    state.paste("anthropic", key)
    before = fake.count("/stolen")
    p = state.run("models", "status", "--probe")
    assert p.returncode == 0, p.err
    assert fake.count(("secret", key)) == 1
    assert fake.count("/stolen") == before


def test_oauth_refresh_does_not_follow_a_redirect(state, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref)
    put_oauth(state, ref, now_ms() - 1000)
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": fake.url + "/v1/oauth/moved"}}}}})
    before = fake.count("/stolen")
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert p.returncode == 1
    assert fake.count("/v1/oauth/moved") >= 1
    assert fake.count("/stolen") == before
    assert stored(state)["refresh"] == ref


# -- temp files: unpredictable names, O_EXCL|O_NOFOLLOW, retried --------------

def plant(directory, names, victim):
    for n in names:
        os.symlink(victim, directory / n)


def victim_file(tmp_path):
    v = tmp_path / "victim"
    v.write_text("untouched\n")
    os.chmod(v, 0o644)
    return v, v.stat()


def assert_untouched(victim, before, directory, names):
    assert victim.read_text() == "untouched\n"
    after = victim.stat()
    assert (after.st_mtime_ns, after.st_mode, after.st_size) == (before.st_mtime_ns, before.st_mode, before.st_size)
    for n in names:
        assert (directory / n).is_symlink()


def random_names(base, n):
    return [f"{base}.tmp.{secrets.token_hex(8)}" for _ in range(n)]


def test_daemon_writes_succeed_past_planted_temp_symlinks(state, mount, tmp_path):
    state.paste("anthropic", KEY)
    m = mount()
    (pid,) = m.pid()
    d = state.store().parent
    names = [f"auth-profiles.json.tmp.{pid}.{seq}" for seq in range(64)] + random_names("auth-profiles.json", 2000)
    cfg_names = [f"nova-engine.json.tmp.{pid}.{seq}" for seq in range(64)]
    victim, before = victim_file(tmp_path)
    plant(d, names, victim)
    plant(state.dir, cfg_names, victim)
    for i in range(6):
        (m / f"{P}/anthropic/token").write_text(KEY[:-2] + f"{i:02d}\n")
        os.mkdir(m / f"{P}/openai/n{i}")
        (m / f"{P}/openai/n{i}/token").write_text("sk-proj-" + f"TrustTempName{i:02d}" * 3 + "\n")
    assert (m / f"{P}/anthropic/token").read_text().strip() == KEY[:-2] + "05"
    assert_untouched(victim, before, d, names)
    assert_untouched(victim, before, state.dir, cfg_names)


def test_cli_writes_succeed_past_planted_temp_symlinks(state, tmp_path):
    state.paste("anthropic", KEY)
    d = state.store().parent
    with open("/proc/sys/kernel/ns_last_pid") as f:
        last = int(f.read())
    # the old names were <file>.tmp.<pid>.<seq>: cover the next pids to come
    names = [f"auth-profiles.json.tmp.{pid}.{seq}" for pid in range(last + 1, last + 400) for seq in range(3)]
    names += random_names("auth-profiles.json", 1000)
    cfg_names = [f"nova-engine.json.tmp.{pid}.{seq}" for pid in range(last + 1, last + 400) for seq in range(3)]
    victim, before = victim_file(tmp_path)
    plant(d, names, victim)
    plant(state.dir, cfg_names, victim)
    for i in range(4):
        state.paste("anthropic", KEY[:-2] + f"{i:02d}", "--profile-id", f"anthropic:t{i}")
    assert state.run("models", "auth", "token", "anthropic:t3").out.strip() == KEY[:-2] + "03"
    assert_untouched(victim, before, d, names)
    assert_untouched(victim, before, state.dir, cfg_names)
    # no temp file of ours is left beside the store
    left = [n for n in os.listdir(d) if ".tmp." in n and not (d / n).is_symlink()]
    assert left == []


# -- one store key, forever ------------------------------------------------------

def two_agents_and_a_lost_key(state, tmp_path):
    custom = tmp_path / "custom-agent-dir"
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work", "agentDir": str(custom)},
                                            {"id": "fresh"}]}})
    state.paste("anthropic", KEY)
    state.paste("openai", "sk-proj-" + "TrustKeyWork0123" * 3, "--agent", "work")
    key = state.dir / "store.key"
    backup = tmp_path / "store.key.backup"
    key.rename(backup)
    return key, backup, custom


def assert_refused_and_nothing_made(p, state, key):
    assert p.returncode == 1
    assert p.err == f"Error: store key missing: restore {key} from your backup\n"
    assert not key.exists()
    assert not (state.dir / "agents" / "fresh").exists()


def test_no_second_key_while_sealed_stores_exist(state, tmp_path):
    key, backup, _ = two_agents_and_a_lost_key(state, tmp_path)
    config = state.config.read_bytes()
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--agent", "fresh",
                  input="sk-proj-" + "TrustKeyFresh0123" * 3 + "\n")
    assert_refused_and_nothing_made(p, state, key)
    assert state.config.read_bytes() == config
    # restoring the backup opens both agents, as before
    backup.rename(key)
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == KEY + "\n"
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "work").out.startswith("sk-proj-TrustKeyWork")


def test_a_sealed_store_in_an_agentdir_override_alone_keeps_the_key(state, tmp_path):
    key, backup, custom = two_agents_and_a_lost_key(state, tmp_path)
    state.store("main").unlink()
    assert (custom / "auth-profiles.json").exists()
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", "--agent", "fresh",
                  input="sk-proj-" + "TrustKeyFresh0123" * 3 + "\n")
    assert_refused_and_nothing_made(p, state, key)


def test_daemon_makes_no_second_key_for_a_new_agent(state, tmp_path, mount):
    key, backup, _ = two_agents_and_a_lost_key(state, tmp_path)
    backup.rename(key)
    m = mount()  # (a mount does not start without its key)
    key.rename(backup)
    fd = os.open(m / "agents/fresh/profiles/openai/token", os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, ("sk-proj-" + "TrustKeyFresh0123" * 3 + "\n").encode())
        raise AssertionError("the write was accepted")
    except OSError as e:
        assert e.errno == errno.ENOKEY
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    assert not key.exists() and not (state.dir / "agents" / "fresh").exists()
    assert "store key missing" in m.log.read_text()
    backup.rename(key)
    assert (m / f"{P}/anthropic/token").read_text() == KEY + "\n"


def test_first_write_still_makes_the_key(state):
    assert not (state.dir / "store.key").exists()
    state.paste("anthropic", KEY)
    assert stat.S_IMODE((state.dir / "store.key").stat().st_mode) == 0o600


# -- doctor --fix never acts through a symlink ------------------------------------

def doctor_fix(state):
    p = state.run("doctor", "--fix", "--yes", "--json")
    return p, json.loads(p.out)


def test_doctor_fix_leaves_a_symlinked_state_dir_and_its_target_alone(state, tmp_path):
    state.paste("anthropic", KEY)
    real = tmp_path / "real-state"
    state.dir.rename(real)
    os.chmod(real, 0o755)
    os.symlink(real, state.dir)
    p, rep = doctor_fix(state)
    assert stat.S_IMODE(real.stat().st_mode) == 0o755
    assert state.dir.is_symlink()
    links = [f for f in rep["findings"] if f["check"] == "symlink"]
    assert [f["subject"] for f in links] == [str(state.dir)]
    assert links[0]["problem"] == (f"state dir {state.dir} is a symbolic link: doctor checks and fixes modes only "
                                   "on the real thing, never through a link")
    assert not links[0]["fixable"]
    assert str(state.dir) not in json.dumps(rep.get("fixed", []))
    assert p.returncode == 1
    text = state.run("doctor", "--fix", "--yes").out
    assert f"Fixed: {state.dir}" not in text and "is a symbolic link" in text


def test_doctor_fix_leaves_symlinked_key_and_store_alone(state, tmp_path):
    state.paste("anthropic", KEY)
    targets = {}
    for path in (state.dir / "store.key", state.store()):
        t = tmp_path / ("target-" + path.name)
        path.rename(t)
        os.chmod(t, 0o644)
        os.symlink(t, path)
        targets[path] = t
    p, rep = doctor_fix(state)
    subjects = {f["subject"] for f in rep["findings"] if f["check"] == "symlink"}
    assert {str(p) for p in targets} <= subjects
    for path, t in targets.items():
        assert path.is_symlink()
        assert stat.S_IMODE(t.stat().st_mode) == 0o644
