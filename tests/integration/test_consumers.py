"""SPEC 13: real clients read credentials the way they already do. The
exec secret provider as OpenClaw runs it, OpenClaw's file-source checks on
a mounted token, the env file as docker, systemd and sh read it, the
provider-native files, and the audit trail. Every secret is made up."""
import base64
import json
import os
import pathlib
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import BIN, Mount, wait_for

P = "agents/main/profiles"
OPENAI = "sk-test-openai-0123456789abcdefghij"
ANTHROPIC = "sk-ant-api03-test-key-0123456789abcdef-0123456789abcdef"
OPS_KEY = "sk-test-ops-agent-0123456789abcdefgh"


def now_ms():
    return int(time.time() * 1000)


def import_doc(state, profiles, agent="main"):
    src = state.dir / f"import-{time.time_ns()}.json"
    src.write_text(json.dumps({"version": 1, "profiles": profiles}))
    r = state.run("store", "import", str(src), "--agent", agent)
    assert r.returncode == 0, r.err
    src.unlink()


def with_ops_agent(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]}})
    state.run("models", "auth", "paste-api-key", "--provider", "openai", "--agent", "ops", input=OPS_KEY + "\n")


# --- secrets resolve: OpenClaw's exec provider --------------------------

def openclaw_copy(tmp_path):
    """The user-owned copy of the binary OpenClaw's exec source accepts:
    a regular file (no symlink) owned by the gateway's uid, not group- or
    world-writable (README: install -m 0755)."""
    d = tmp_path / "bin"
    d.mkdir()
    dst = d / "nova-engine"
    subprocess.run(["install", "-m", "0755", BIN, str(dst)], check=True)
    return dst


def openclaw_checks(path):
    """What OpenClaw's assertSecurePath checks on an exec command
    (src/secrets/resolve.ts): absolute, not a symlink, not writable by
    group or others, owned by the gateway's own uid."""
    st = os.lstat(path)
    assert os.path.isabs(path)
    assert not stat.S_ISLNK(st.st_mode) and stat.S_ISREG(st.st_mode)
    assert st.st_mode & 0o022 == 0
    assert st.st_uid == os.getuid()


def resolve_as_openclaw(state, cmd, request, extra_env=None):
    """Run cmd exactly as OpenClaw does: no shell, an environment holding
    only what the provider's env/passEnv give, cwd = the command's
    directory, stdin = one JSON request then EOF, no TTY, a 5 s limit."""
    env = {"NOVA_ENGINE_STATE_DIR": str(state.dir), **(extra_env or {})}
    t0 = time.monotonic()
    p = subprocess.run([str(cmd), "secrets", "resolve"], input=json.dumps(request).encode(),
                       capture_output=True, env=env, cwd=os.path.dirname(cmd), timeout=5)
    return p, time.monotonic() - t0


def test_exec_provider_round_trip_as_openclaw_runs_it(state, tmp_path):
    state.paste("openai", OPENAI)
    state.paste("anthropic", ANTHROPIC, "--profile-id", "work")
    with_ops_agent(state)
    cmd = openclaw_copy(tmp_path)
    openclaw_checks(str(cmd))
    ids = ["openai", "anthropic:work", "ops/openai", "main/anthropic", "anthropic:nope", "ops/groq", "nosuch/openai"]
    p, took = resolve_as_openclaw(state, cmd, {"protocolVersion": 1, "provider": "nova", "ids": ids})
    assert p.returncode == 0, p.stderr
    assert took < 5
    out = json.loads(p.stdout)
    assert out["protocolVersion"] == 1
    assert out["values"] == {"openai": OPENAI, "anthropic:work": ANTHROPIC, "ops/openai": OPS_KEY,
                             "main/anthropic": ANTHROPIC}
    assert set(out["errors"]) == {"anthropic:nope", "ops/groq", "nosuch/openai"}
    for e in out["errors"].values():
        assert e["code"] == "NOT_FOUND" and e["message"]
    assert p.stderr == b""


def test_exec_provider_names_a_mistyped_provider_instead_of_advising_a_command_that_fails(state):
    state.paste("openai", OPENAI)
    req = {"protocolVersion": 1, "provider": "nova", "ids": ["opnai", "main/opnai", "zzz", "anthropic"]}
    p = state.run("secrets", "resolve", input=json.dumps(req))
    assert p.returncode == 0, p.err
    errors = json.loads(p.out)["errors"]
    assert {e["code"] for e in errors.values()} == {"NOT_FOUND"}
    for i in ("opnai", "main/opnai"):
        assert 'unknown provider "opnai": did you mean openai?' in errors[i]["message"]
        assert "paste-api-key --provider opnai" not in errors[i]["message"]
    assert errors["zzz"]["message"].startswith('unknown provider "zzz": use one of anthropic, openai')
    # a known provider with nothing stored still says how to add one
    assert "paste-api-key --provider anthropic" in errors["anthropic"]["message"]
    assert OPENAI not in p.out + p.err


def test_exec_provider_serves_an_undeclared_provider_from_its_env_variable(state):
    p = state.run("secrets", "resolve", input=json.dumps({"protocolVersion": 1, "provider": "nova", "ids": ["foo"]}),
                  env={"FOO_API_KEY": "sk-test-foo-0123456789abcdef"})
    assert p.returncode == 0, p.err
    assert json.loads(p.out) == {"protocolVersion": 1, "values": {"foo": "sk-test-foo-0123456789abcdef"}, "errors": {}}


def test_exec_provider_answers_invalid_ids_and_empty_lists(state):
    p = state.run("secrets", "resolve", input=json.dumps({"protocolVersion": 1, "provider": "x", "ids": ["bad id", "a/b/c"]}))
    assert p.returncode == 0, p.err
    out = json.loads(p.out)
    assert out["values"] == {} and {e["code"] for e in out["errors"].values()} == {"INVALID_ID"}
    p = state.run("secrets", "resolve", input=json.dumps({"protocolVersion": 1, "provider": "x", "ids": []}))
    assert p.returncode == 0 and json.loads(p.out) == {"protocolVersion": 1, "values": {}, "errors": {}}


def test_exec_provider_malformed_requests_fail_clearly(state):
    cases = [
        ("{not json", "the request is not valid JSON"),
        ("[]", "the request is not a JSON object"),
        (json.dumps({"protocolVersion": 2, "ids": []}), "unsupported protocolVersion"),
        (json.dumps({"protocolVersion": 1, "ids": "openai"}), "\"ids\" must be an array of strings"),
        (json.dumps({"protocolVersion": 1, "ids": [1]}), "\"ids\" must be an array of strings"),
        ("", "the request is not valid JSON"),
    ]
    for text, msg in cases:
        p = state.run("secrets", "resolve", input=text)
        assert p.returncode == 1, text
        assert p.out == "" and p.err.startswith("Error: ") and msg in p.err, p.err


def test_exec_provider_input_is_bounded(state):
    big = json.dumps({"protocolVersion": 1, "ids": ["openai"], "pad": "x" * (1024 * 1024)})
    p = state.run("secrets", "resolve", input=big)
    assert p.returncode == 1 and "request larger than 1 MiB" in p.err and p.out == ""


def test_exec_provider_refreshes_oauth_first(state, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-resolved")
    import_doc(state, {"anthropic:default": {"type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789",
                                             "refresh": ref, "expires": now_ms() - 1000}})
    p = state.run("secrets", "resolve", input=json.dumps({"protocolVersion": 1, "ids": ["anthropic"]}))
    assert p.returncode == 0, p.err
    assert json.loads(p.out)["values"]["anthropic"].startswith("acc-test-resolved-")


def test_empty_environment_takes_home_from_passwd_never_cwd(state):
    """With no HOME (OpenClaw passes none) the state dir is the password
    database's home, not the command's directory."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="nv-exec-"))
    os.chmod(base, 0o755)  # uid 65534 runs the copy from here
    cmd = openclaw_copy(base)
    # a decoy state dir where a cwd-based home would look
    decoy = cmd.parent / ".nova-engine"
    shutil.copytree(state.dir, decoy)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/env", "-i", str(cmd), "models", "status", "--json"],
                       capture_output=True, text=True, cwd=cmd.parent, timeout=10)
    shutil.rmtree(base)
    nobody_home = subprocess.run(["getent", "passwd", "65534"], capture_output=True, text=True).stdout.split(":")[5]
    assert nobody_home + "/.nova-engine/nova-engine.json" in r.stdout + r.stderr
    assert str(decoy) not in r.stdout + r.stderr


# --- OpenClaw's file source on a mounted token --------------------------

def test_file_source_owner_and_mode_with_uid(state):
    """OpenClaw's file source (readSecureFile) wants the file owned by the
    gateway's uid, not readable or writable by group/others, no symlink."""
    state.paste("openai", OPENAI)
    base = pathlib.Path(tempfile.mkdtemp(prefix="nv-gateway-"))
    os.chmod(base, 0o755)  # the gateway user walks to the mountpoint
    m = Mount(state, base / "mnt", ("--allow-other", "--uid", "65534", "--gid", "65534"))
    try:
        check_gateway_reads(m)
    finally:
        m.unmount()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="root mounts another user's state dir")
def test_root_mount_of_the_gateways_state_dir_leaves_its_files_the_gateways(state):
    """docs/consumers.md: root mounts with --uid of the gateway so that
    OpenClaw's file source passes; the store is the gateway's own, which
    its exec provider (`secrets resolve`, run as the gateway) reads too.
    A write through the mount, a lock, a mount registry entry or an audit
    rotation made by the root daemon must not leave a root-owned file
    there: a root-owned auth-profiles.json made every id UNAVAILABLE
    ("Permission denied") for the gateway's exec provider and CLI."""
    state.write_config({"audit": {"maxBytes": 4096}})  # the root daemon rotates the trail
    state.paste("openai", OPENAI)
    base = pathlib.Path(tempfile.mkdtemp(prefix="nv-gwstate-"))
    os.chmod(base, 0o755)
    gw = base / "state"
    shutil.copytree(state.dir, gw)
    subprocess.run(["chown", "-R", "65534:65534", str(gw)], check=True)
    state.dir = gw
    state.env["NOVA_ENGINE_STATE_DIR"] = str(gw)
    as_gateway = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        cmd = openclaw_copy(base)
        m = Mount(state, base / "mnt", ("--allow-other", "--uid", "65534", "--gid", "65534"))
        try:
            prof = m / P
            r = subprocess.run(as_gateway + ["sh", "-c", f"printf '%s\\n' '{ANTHROPIC}' > {prof}/anthropic/token"
                                              f" && echo default > {prof}/openai/order"
                                              f" && for i in $(seq 20); do cat {prof}/openai/token; done"],
                               capture_output=True, text=True, timeout=20)
            assert r.returncode == 0, r.stderr
            assert r.stdout == (OPENAI + "\n") * 20
            assert (gw / "audit.jsonl.1").exists()
        finally:
            m.unmount()
        root_owned = [str(p) for p in [gw, *gw.rglob("*")] if p.lstat().st_uid != 65534]
        assert root_owned == []
        req = {"protocolVersion": 1, "provider": "nova", "ids": ["openai", "anthropic"]}
        p = subprocess.run(as_gateway + ["/usr/bin/env", "-i", f"NOVA_ENGINE_STATE_DIR={gw}", str(cmd),
                                         "secrets", "resolve"], input=json.dumps(req).encode(),
                           capture_output=True, cwd=cmd.parent, timeout=5)
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        assert json.loads(p.stdout)["values"] == {"openai": OPENAI, "anthropic": ANTHROPIC}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def check_gateway_reads(m):
    token = m / f"{P}/openai/token"
    st = os.lstat(token)
    assert st.st_uid == 65534 and st.st_gid == 65534
    assert stat.S_IMODE(st.st_mode) == 0o600 and stat.S_ISREG(st.st_mode)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", str(token)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert r.stdout == OPENAI + "\n"
    r = subprocess.run(["setpriv", "--reuid=4321", "--regid=4321", "--clear-groups", "cat", str(token)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "Permission denied" in r.stderr


# --- agents/<id>/env ----------------------------------------------------

def docker_env_file(text):
    """docker's --env-file rules (opts/envfile.go): a line is trimmed of
    leading white space; empty and '#' lines are skipped; NAME=VALUE with
    the value taken literally to the end of the line; a name without '='
    is taken from the environment."""
    out = {}
    for line in text.split("\n"):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        assert eq, f"docker would import {name} from its own env"
        assert name == name.strip() and " " not in name
        out[name] = value
    return out


def systemd_env_file(text):
    """systemd's EnvironmentFile= (parse_env_file): '#'/';' comments, white
    space around the value stripped, quotes removed, backslash escapes
    honoured. A value of only [A-Za-z0-9_.,:@%+/=-] reads literally."""
    out = {}
    for line in text.split("\n"):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        name, _, value = s.partition("=")
        value = value.strip()
        assert not any(c in value for c in "\"'\\ \t$`"), f"systemd would change {name}"
        out[name.strip()] = value
    return out


def test_env_file_reads_the_same_in_sh_docker_and_systemd(state, mount):
    state.paste("openai", OPENAI)
    state.paste("anthropic", ANTHROPIC)
    m = mount()
    envf = m / "agents/main/env"
    st = os.stat(envf)
    assert stat.S_IMODE(st.st_mode) == 0o600
    text = envf.read_text()
    assert "OPENAI_API_KEY=" + OPENAI + "\n" in text and "ANTHROPIC_API_KEY=" + ANTHROPIC + "\n" in text
    sh = subprocess.run(["env", "-i", "sh", "-c", "set -a; . ./env; env"], cwd=m / "agents/main",
                        capture_output=True, text=True, timeout=10)
    assert sh.returncode == 0, sh.stderr
    from_sh = dict(l.split("=", 1) for l in sh.stdout.splitlines() if "=" in l)
    expected = {"OPENAI_API_KEY": OPENAI, "ANTHROPIC_API_KEY": ANTHROPIC}
    assert {k: from_sh.get(k) for k in expected} == expected
    assert docker_env_file(text) == expected
    assert systemd_env_file(text) == expected


def test_env_file_names_anthropic_tokens_as_oauth_token(state, mount):
    import_doc(state, {"anthropic:default": {"type": "token", "provider": "anthropic",
                                             "token": "sk-ant-oat01-" + "Tok3nForTest" * 7}})
    m = mount()
    text = (m / "agents/main/env").read_text()
    assert text.startswith("ANTHROPIC_OAUTH_TOKEN=sk-ant-oat01-")


def test_env_file_leaves_out_values_the_readers_disagree_on(state, mount):
    # the store only holds printable secrets without spaces; a '$' or a
    # quote is still something sh would expand or strip
    import_doc(state, {"openai:default": {"type": "api_key", "provider": "openai", "key": "sk-test-dollar$HOME-0123456789"},
                       "groq:default": {"type": "api_key", "provider": "groq", "key": "gsk_test_quote\"d_0123456789"},
                       "xai:default": {"type": "api_key", "provider": "xai", "key": "xai-test-plain-0123456789abcdef"}})
    m = mount()
    text = (m / "agents/main/env").read_text()
    assert "$HOME" not in text and "quote" not in text
    assert "# OPENAI_API_KEY left out:" in text and "# GROQ_API_KEY left out:" in text
    assert "XAI_API_KEY=xai-test-plain-0123456789abcdef\n" in text
    assert docker_env_file(text) == systemd_env_file(text) == {"XAI_API_KEY": "xai-test-plain-0123456789abcdef"}


# --- provider-native files ----------------------------------------------

def test_native_claude_credentials_carry_access_and_expiry_only(state, mount, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-claude")
    exp = now_ms() + 3 * 3600 * 1000
    import_doc(state, {"anthropic:key": {"type": "api_key", "provider": "anthropic", "key": ANTHROPIC},
                       "anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-claude-0123456789",
                                         "refresh": ref, "expires": exp}})
    m = mount()
    f = m / "agents/main/native/claude/.credentials.json"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o400
    doc = json.loads(f.read_text())
    oauth = doc["claudeAiOauth"]
    assert oauth["accessToken"] == "acc-test-claude-0123456789"
    assert oauth["expiresAt"] == exp and oauth["refreshToken"] is None
    assert "user:inference" in oauth["scopes"] and "subscriptionType" in oauth
    assert ref not in f.read_text()
    assert sorted(os.listdir(m / "agents/main/native")) == ["claude", "codex"]
    assert os.listdir(m / "agents/main/native/claude") == [".credentials.json"]
    try:
        f.write_text("x")
        assert False, "native files are read-only"
    except PermissionError:
        pass


def test_native_claude_without_token_is_enokey(state, mount):
    state.paste("anthropic", ANTHROPIC)  # an API key is not for this file
    m = mount()
    try:
        (m / "agents/main/native/claude/.credentials.json").read_text()
        assert False
    except OSError as e:
        assert e.errno == 126  # ENOKEY


def jwt_claims(jwt):
    h, p, s = jwt.split(".")
    assert h and p and s
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def test_native_codex_auth_json_as_codex_reads_it(state, mount, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    import_doc(state, {"openai-codex:me": {"type": "oauth", "provider": "openai-codex", "access": "acc-test-codex-0123456789",
                                           "refresh": ref, "expires": now_ms() + 3600 * 1000,
                                           "email": "me@example.com", "accountId": "acct-test-42"},
                       "openai:default": {"type": "api_key", "provider": "openai", "key": OPENAI}})
    m = mount()
    text = (m / "agents/main/native/codex/auth.json").read_text()
    doc = json.loads(text)
    # codex-rs/login/src/auth/storage.rs AuthDotJson, token_data.rs TokenData
    assert doc["OPENAI_API_KEY"] is None
    t = doc["tokens"]
    assert t["access_token"] == "acc-test-codex-0123456789" and t["account_id"] == "acct-test-42"
    assert t["refresh_token"] == "" and ref not in text
    claims = jwt_claims(t["id_token"])
    assert claims["email"] == "me@example.com"
    assert claims["https://api.openai.com/auth"]["chatgpt_account_id"] == "acct-test-42"
    assert doc["last_refresh"].endswith("Z")


def test_native_codex_falls_back_to_the_openai_key(state, mount):
    state.paste("openai", OPENAI)
    m = mount()
    doc = json.loads((m / "agents/main/native/codex/auth.json").read_text())
    assert doc["OPENAI_API_KEY"] == OPENAI and "tokens" not in doc


# --- audit --------------------------------------------------------------

def audit_lines(state):
    p = state.dir / "audit.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines()] if p.exists() else []


def test_cat_token_from_audit_probe_leaves_a_line_naming_it(state, mount, tmp_path):
    state.paste("openai", OPENAI)
    m = mount()
    probe = tmp_path / "audit-probe"
    shutil.copy("/bin/cat", probe)
    r = subprocess.run([str(probe), str(m / f"{P}/openai/token")], capture_output=True, text=True)
    assert r.stdout == OPENAI + "\n"
    lines = [l for l in audit_lines(state) if l["how"] == "mount:token"]
    assert len(lines) == 1
    line = lines[0]
    assert line["comm"] == "audit-probe" and line["exe"] == str(probe)
    assert line["agent"] == "main" and line["profile"] == "openai:default"
    assert line["uid"] == os.getuid() and line["pid"] > 0 and line["path"] == f"/{P}/openai/token"
    assert OPENAI not in (state.dir / "audit.jsonl").read_text()
    assert stat.S_IMODE(os.stat(state.dir / "audit.jsonl").st_mode) == 0o600


def test_audit_names_a_reading_threads_process_and_the_program_it_execs(state, mount, tmp_path):
    # the daemon keeps /proc descriptors of readers it saw: names and
    # executables must still be read afresh (a thread's own name, exec)
    state.paste("openai", OPENAI)
    m = mount()
    tok = str(m / f"{P}/openai/token")
    probe = tmp_path / "audit-probe"
    shutil.copy("/bin/cat", probe)
    script = f"""
import ctypes, os, threading
libc = ctypes.CDLL(None)
libc.prctl(15, b"audit-main", 0, 0, 0)
def read():
    libc.prctl(15, b"audit-thread", 0, 0, 0)
    open({tok!r}).read()
t = threading.Thread(target=read)
t.start()
t.join()
open({tok!r}).read()
os.execv({str(probe)!r}, [{str(probe)!r}, {tok!r}])
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == OPENAI + "\n", r.stderr
    lines = [l for l in audit_lines(state) if l["how"] == "mount:token"]
    assert [l["comm"] for l in lines] == ["audit-main", "audit-main", "audit-probe"]
    assert [l["exe"] for l in lines] == [os.path.realpath(sys.executable)] * 2 + [str(probe)]
    assert len({l["pid"] for l in lines}) == 1 and {l["ppid"] for l in lines} == {os.getpid()}
    assert len({l["pcomm"] for l in lines}) == 1 and lines[0]["pcomm"]


def test_audit_names_the_new_parent_of_a_reader_whose_parent_died(state, mount, tmp_path):
    # the daemon keeps a reader's parent pid while that parent lives: once
    # it dies the reader has a new parent, and the next line names it
    state.paste("openai", OPENAI)
    m = mount()
    tok = str(m / f"{P}/openai/token")
    reader = tmp_path / "reader.py"
    reader.write_text(f"import time\nopen({tok!r}).read()\ntime.sleep(0.6)\nopen({tok!r}).read()\n")
    sh = subprocess.Popen(["sh", "-c", f"{sys.executable} {reader} & echo $!; sleep 0.3"],
                          stdout=subprocess.PIPE, text=True)
    pid = int(sh.stdout.readline())
    sh.wait()  # the reader's parent is gone; it reads again after this
    wait_for(lambda: len([l for l in audit_lines(state) if l["pid"] == pid]) == 2, timeout=5)
    first, second = [l for l in audit_lines(state) if l["pid"] == pid]
    assert first["ppid"] == sh.pid and first["pcomm"] == "sh"
    new_parent = second["ppid"]
    assert new_parent not in (0, sh.pid)
    assert second["pcomm"] == open(f"/proc/{new_parent}/comm").read().strip()


def test_stat_and_listing_are_not_audited(state, mount):
    state.paste("openai", OPENAI)
    m = mount()
    os.stat(m / f"{P}/openai/token")
    os.listdir(m / f"{P}/openai")
    (m / f"{P}/openai/status").read_text()
    assert audit_lines(state) == []


def test_every_secret_read_is_audited(state, mount):
    state.paste("openai", OPENAI)
    state.paste("anthropic", "sk-ant-oat01-" + "Tok3nForTest" * 7, kind="paste-token")
    m = mount()
    (m / "agents/main/env").read_text()
    (m / "agents/main/native/claude/.credentials.json").read_text()
    (m / "agents/main/native/codex/auth.json").read_text()
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    assert state.run("secrets", "resolve", input=json.dumps({"protocolVersion": 1, "ids": ["openai"]})).returncode == 0
    hows = [l["how"] for l in audit_lines(state)]
    assert hows == ["mount:env", "mount:native/claude", "mount:native/codex", "cli:token", "secrets-resolve"]
    assert audit_lines(state)[0]["profile"] == "anthropic:default,openai:default"
    assert audit_lines(state)[3]["comm"] == "nova-engine" and audit_lines(state)[3]["pcomm"]


def test_audit_file_in_the_mount_shows_the_last_thousand_lines(state, mount):
    state.paste("openai", OPENAI)
    lines = [json.dumps({"time": "2026-01-01T00:00:00Z", "ts": i, "agent": "main", "profile": "openai:default",
                         "how": "cli:token", "n": i}) for i in range(1200)]
    (state.dir / "audit.jsonl").write_text("\n".join(lines) + "\n")
    os.chmod(state.dir / "audit.jsonl", 0o600)
    m = mount()
    f = m / ".nova-engine/audit"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o400
    shown = f.read_text().splitlines()
    assert len(shown) == 1000 and json.loads(shown[0])["n"] == 200 and json.loads(shown[-1])["n"] == 1199


@pytest.mark.parametrize("older,newer", [(0, 0), (0, 10), (5, 999), (5, 1000), (1500, 300), (1200, 0), (0, 12000)])
def test_audit_file_tail_spans_the_rotated_file(state, mount, older, newer):
    # read from the end of each file back (a full trail is 10 MiB); the
    # 12,000 lines of ~250 bytes take many chunks
    state.paste("openai", OPENAI)
    pad = "x" * 180
    line = lambda i: json.dumps({"time": "2026-01-01T00:00:00Z", "ts": i, "agent": "main", "how": "cli:token",
                                 "pad": pad, "n": i}) + "\n"
    for name, numbers in (("audit.jsonl.1", range(older)), ("audit.jsonl", range(older, older + newer))):
        if numbers:
            (state.dir / name).write_text("".join(line(i) for i in numbers))
            os.chmod(state.dir / name, 0o600)
    m = mount()
    shown = [json.loads(l)["n"] for l in (m / ".nova-engine/audit").read_text().splitlines()]
    total = older + newer
    assert shown == list(range(max(0, total - 1000), total))


def test_stat_size_is_what_a_read_returns_after_a_cli_change_and_token_reads(state, mount):
    # docs/filesystem.md: sizes are the length a read returns now (a change
    # made elsewhere reaches stat within a second); tail seeks by st_size
    state.paste("openai", OPENAI)
    m = mount()
    envf, codex, audit = m / "agents/main/env", m / "agents/main/native/codex/auth.json", m / ".nova-engine/audit"

    def sizes_match():
        time.sleep(1.1)  # past the kernel's attribute cache (1 s)
        sizes = {f: os.stat(f).st_size for f in (audit, envf, codex)}
        # the audit file first: the other two reads each add a line to it
        for f in (audit, envf, codex):
            assert sizes[f] == len(f.read_bytes()), f.name

    envf.read_bytes(), codex.read_bytes()
    sizes_match()
    state.paste("openai", OPENAI + "-longer-0123456789")
    sizes_match()
    state.paste("anthropic", "sk-ant-api03-" + "an0ther-test-key" * 3)
    sizes_match()
    for _ in range(3):
        (m / f"{P}/openai/token").read_bytes()
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    sizes_match()


def test_stat_size_follows_a_change_elsewhere_within_a_second(state, mount):
    # not the kernel's attribute cache running out (1 s after the last
    # stat): the daemon sees the change and drops the cached size sooner
    state.paste("openai", OPENAI)
    m = mount()
    envf, audit = m / "agents/main/env", m / ".nova-engine/audit"

    def size_changes(f, change):
        old = os.stat(f).st_size  # now in the kernel's cache
        t0 = time.monotonic()
        change()
        while os.stat(f).st_size == old:
            assert time.monotonic() - t0 < 0.9, f"{f.name}: stat still shows the size before the change"
            time.sleep(0.02)

    envf.read_bytes()
    size_changes(envf, lambda: state.paste("openai", OPENAI + "-longer-0123456789"))
    assert os.stat(envf).st_size == len(envf.read_bytes())
    size_changes(audit, lambda: (m / f"{P}/openai/token").read_bytes())
    size_changes(audit, lambda: state.run("models", "auth", "token", "--provider", "openai"))
    assert os.stat(audit).st_size == len(audit.read_bytes())


def test_audit_rotates_at_max_bytes(state):
    state.write_config({"audit": {"maxBytes": 4096}})
    state.paste("openai", OPENAI)
    for _ in range(25):
        assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    cur, old = state.dir / "audit.jsonl", state.dir / "audit.jsonl.1"
    assert old.exists() and cur.stat().st_size <= 4096 and old.stat().st_size <= 4096
    n = len(old.read_text().splitlines()) + len(cur.read_text().splitlines())
    assert 0 < n <= 25
    # the command reads both files, oldest first
    rows = json.loads(state.run("audit", "--json").out)
    assert len(rows) == n and rows == sorted(rows, key=lambda r: r["ts"])


def test_audit_rotation_loses_no_line_of_concurrent_readers(state, mount):
    """Eight threads read through the mount (each daemon thread appends on
    its own descriptor) while CLI processes read too, and the trail
    rotates once on the way: every read has its one whole line, in one
    file or the other."""
    import threading
    state.write_config({"audit": {"maxBytes": 48 * 1024}})
    state.paste("openai", OPENAI)
    m = mount()
    token = m / f"{P}/openai/token"

    def reader():
        for _ in range(40):
            assert token.read_text() == OPENAI + "\n"
    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    cli = [state.run("models", "auth", "token", "--provider", "openai").returncode for _ in range(10)]
    for t in threads:
        t.join()
    assert cli == [0] * 10
    cur, old = state.dir / "audit.jsonl", state.dir / "audit.jsonl.1"
    assert old.exists(), "the trail never reached audit.maxBytes: the test proves nothing"
    lines = old.read_text().splitlines() + cur.read_text().splitlines()
    rows = [json.loads(l) for l in lines]  # a torn or interleaved line fails here
    assert sorted(r["how"] for r in rows).count("cli:token") == 10
    assert len(rows) == 8 * 40 + 10


def test_audit_command_filters_by_agent_and_time(state):
    with_ops_agent(state)
    state.paste("openai", OPENAI)
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "ops").returncode == 0
    rows = json.loads(state.run("audit", "--json", "--agent", "ops").out)
    assert [r["agent"] for r in rows] == ["ops"]
    text = state.run("audit").out.splitlines()
    assert len(text) == 2 and "cli:token" in text[0] and "comm=nova-engine" in text[0]
    assert json.loads(state.run("audit", "--json", "--since", "2099-01-01T00:00:00Z").out) == []
    assert len(json.loads(state.run("audit", "--json", "--since", "1h").out)) == 2
    r = state.run("audit", "--since", "yesterday")
    assert r.returncode == 2 and "invalid --since \"yesterday\"" in r.err
    assert OPENAI not in state.run("audit").out


def test_audit_can_be_turned_off(state):
    state.write_config({"audit": {"enabled": False}})
    state.paste("openai", OPENAI)
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 0
    assert not (state.dir / "audit.jsonl").exists()
    assert "No secret reads recorded" in state.run("audit").out


# --- proactive refresh --------------------------------------------------

def test_daemon_refreshes_oauth_before_expiry_with_no_reader(state, mount, fake):
    """Expiring in 2 minutes with a 5-minute skew: due at once. The mounted
    daemon refreshes it by itself, once, and nobody reads anything."""
    state.write_config({"auth": {"refreshSkewSeconds": 300}})
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-ahead")
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789",
                                         "refresh": ref, "expires": now_ms() + 2 * 60 * 1000}})
    calls = fake.count("/v1/oauth/token")
    m = mount()

    def stored():
        return json.loads(state.run("store", "export").out)["profiles"]["anthropic:max"]
    deadline = time.time() + 10
    while time.time() < deadline and not stored()["access"].startswith("acc-test-ahead-"):
        time.sleep(0.2)
    cred = stored()
    assert cred["access"].startswith("acc-test-ahead-") and cred["refresh"] != ref
    assert cred["expires"] > now_ms() + 50 * 60 * 1000
    time.sleep(1.5)  # fresh now: the daemon does not refresh again
    assert fake.count("/v1/oauth/token") == calls + 1
    assert audit_lines(state) == []  # no reader was involved
    metrics = (m / ".nova-engine/metrics").read_text()
    assert 'nova_engine_oauth_proactive_refreshes_total{result="ok"} 1' in metrics
    assert 'nova_engine_oauth_refresh_failures{agent="main",profile="anthropic:max"} 0' in metrics
    status = (m / f"{P}/anthropic/max/status").read_text()
    assert "refresh_failures: 0" in status and "refresh_at: " in status


def test_refresh_at_eighty_percent_of_lifetime_when_sooner(state, mount, fake):
    """A 10 s credential with the default 600 s skew is due at once; one of
    an hour with skew 0 is due at 80% (48 min from now)."""
    state.write_config({"auth": {"refreshSkewSeconds": 0}})
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-long-0123456789",
                                         "refresh": "ref-test-never-used-0123456789", "expires": now_ms() + 3600 * 1000}})
    calls = fake.count("/v1/oauth/token")
    m = mount()
    deadline = time.time() + 5
    metrics = ""
    while time.time() < deadline and "refresh_due_seconds" not in metrics:
        metrics = (m / ".nova-engine/metrics").read_text()
        time.sleep(0.1)
    line = [l for l in metrics.splitlines() if l.startswith("nova_engine_oauth_refresh_due_seconds{")][0]
    due = int(line.split()[-1])
    assert 47 * 60 - 30 <= due <= 48 * 60
    assert fake.count("/v1/oauth/token") == calls


def test_failed_refresh_backs_off_and_shows_in_status_and_metrics(state, mount, fake):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()  # nothing listens there: connection refused
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": f"http://127.0.0.1:{dead}/token"}}}}})
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-stale-0123456789",
                                         "refresh": "ref-test-unreachable-0123456789", "expires": now_ms() + 60 * 1000}})
    m = mount()
    deadline = time.time() + 10
    status = ""
    while time.time() < deadline and "refresh_failures: 1" not in status:
        status = (m / f"{P}/anthropic/max/status").read_text()
        time.sleep(0.2)
    assert "refresh_failures: 1" in status and "refresh_retry_at: " in status
    assert "cannot reach the token endpoint" in status
    metrics = (m / ".nova-engine/metrics").read_text()
    assert 'nova_engine_oauth_refresh_failures{agent="main",profile="anthropic:max"} 1' in metrics
    retry = [l for l in metrics.splitlines() if l.startswith("nova_engine_oauth_refresh_retry_seconds{")][0]
    assert 20 <= int(retry.split()[-1]) <= 30  # first backoff: 30 s
    time.sleep(1.5)
    assert "refresh_failures: 1" in (m / f"{P}/anthropic/max/status").read_text()  # not retried at once


def test_failed_refresh_waits_as_long_as_the_providers_retry_after(state, mount, fake):
    busy = "/v1/oauth/busy"  # 429 with Retry-After: 120, longer than the first backoff (30 s)
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": fake.url + busy}}}}})
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-busy-0123456789",
                                         "refresh": "ref-test-busy-0123456789", "expires": now_ms() + 60 * 1000}})
    m = mount()
    wait_for(lambda: "refresh_failures: 1" in (m / f"{P}/anthropic/max/status").read_text(), timeout=10)
    metrics = (m / ".nova-engine/metrics").read_text()
    retry = [l for l in metrics.splitlines() if l.startswith("nova_engine_oauth_refresh_retry_seconds{")][0]
    assert 110 <= int(retry.split()[-1]) <= 120  # it was 30: the provider's word was not heard
    assert fake.count(busy) == 1


def test_readers_do_not_bypass_the_backoff_of_a_failed_refresh(state, mount, fake):
    """The daemon's refresh failed (the endpoint answers 307) and backs off
    30 s; the token, due for a reader's own refresh (under 5 minutes left),
    is still valid. Every read used to post to the endpoint again."""
    moved = "/v1/oauth/moved"
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": fake.url + moved}}}}})
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-stale-0123456789",
                                         "refresh": "ref-test-backoff-0123456789", "expires": now_ms() + 2 * 60 * 1000}})
    m = mount()
    wait_for(lambda: "refresh_failures: 1" in (m / f"{P}/anthropic/max/status").read_text(), timeout=10)
    calls = fake.count(moved)
    for _ in range(5):
        assert (m / f"{P}/anthropic/token").read_text() == "acc-test-stale-0123456789\n"
        assert (m / f"{P}/anthropic/max/token").read_text() == "acc-test-stale-0123456789\n"
    assert fake.count(moved) == calls


# --- hooks.onChange -----------------------------------------------------

def test_hook_runs_once_for_a_burst_of_ten_writes(state, mount, tmp_path):
    out = tmp_path / "hook.out"
    state.write_config({"hooks": {"onChange": [f"echo \"$NOVA_ENGINE_CHANGED\" >> {out}; echo hello-from-hook",
                                               ["/usr/bin/env"]],
                                  "debounceMs": 300}})
    m = mount()
    token = m / f"{P}/openai/token"
    for i in range(10):
        token.write_text(f"sk-test-burst-{i:02d}-0123456789abcdef\n")
    deadline = time.time() + 10
    while time.time() < deadline and not out.exists():
        time.sleep(0.05)
    time.sleep(1.5)  # a second run would come after another debounce
    runs = out.read_text().splitlines()
    assert len(runs) == 1  # once for the burst
    # the profile, and possibly what else of the agent the writes touched
    assert runs[0].split()[0] == "main/openai:default" and set(runs[0].split()) <= {"main/openai:default", "main/*", "*"}
    log = m.log.read_text()
    assert "hello-from-hook" in log
    # the hook's environment: NOVA_ENGINE_CHANGED and no secret
    assert "NOVA_ENGINE_CHANGED=main/openai:default" in log
    assert "sk-test-burst" not in log and "_API_KEY=" not in log


def test_hook_commands_never_see_secrets_from_the_daemon_env(state, mount, tmp_path):
    out = tmp_path / "env.out"
    (state.dir / ".env").write_text("OPENROUTER_API_KEY=sk-or-test-daemon-env-0123456789\n")
    os.chmod(state.dir / ".env", 0o600)
    state.write_config({"hooks": {"onChange": [["/bin/sh", "-c", f"env >> {out}"]],
                                  "passEnv": ["OPENROUTER_API_KEY"], "debounceMs": 50}})
    m = mount()
    (m / f"{P}/openai/token").write_text(OPENAI + "\n")
    deadline = time.time() + 10
    while time.time() < deadline and "main/openai:default" not in (out.read_text() if out.exists() else ""):
        time.sleep(0.05)
    time.sleep(0.2)
    env = out.read_text()
    assert "NOVA_ENGINE_CHANGED=main/openai:default" in env
    assert "sk-or-test" not in env and OPENAI not in env
    assert "hooks.passEnv: OPENROUTER_API_KEY is a credential variable" in m.log.read_text()


def test_hook_runs_after_a_proactive_refresh(state, mount, fake, tmp_path):
    out = tmp_path / "hook.out"
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-hooked")
    state.write_config({"hooks": {"onChange": [f"echo \"$NOVA_ENGINE_CHANGED\" >> {out}"], "debounceMs": 50}})
    import_doc(state, {"anthropic:max": {"type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789",
                                         "refresh": ref, "expires": now_ms() + 60 * 1000}})
    mount()
    deadline = time.time() + 10
    while time.time() < deadline and not out.exists():
        time.sleep(0.05)
    assert out.read_text() == "main/anthropic:max\n"


def test_hook_runs_for_a_change_made_with_the_cli(state, mount, tmp_path):
    out = tmp_path / "hook.out"
    state.write_config({"hooks": {"onChange": [f"echo \"$NOVA_ENGINE_CHANGED\" >> {out}"], "debounceMs": 50}})
    state.paste("openai", OPENAI)
    m = mount()
    (m / f"{P}/openai/token").read_text()  # the daemon holds the agent's store open
    time.sleep(0.5)  # past the mount's own start-up notices
    # a change of the store alone (no config), by another process
    assert state.run("models", "auth", "report", "openai:default", "failure", "rate_limit").returncode == 0
    deadline = time.time() + 10
    while time.time() < deadline and "main/" not in (out.read_text() if out.exists() else ""):
        time.sleep(0.05)
    assert "main/" in out.read_text()  # the agent's store, written by another process


def test_sigterm_while_a_hook_runs_unmounts_at_once(state, mount, tmp_path):
    """The daemon waited for a running hook (up to hooks.timeoutMs, 30 s)
    after its session loop ended, and every access to the mount hung
    meanwhile."""
    out = tmp_path / "hook.out"
    state.write_config({"hooks": {"onChange": [f"echo started >> {out}; sleep 60", f"echo next >> {out}"],
                                  "debounceMs": 50}})
    m = mount()
    (m / f"{P}/openai/token").write_text(OPENAI + "\n")
    wait_for(out.exists, timeout=10)
    os.kill(m.pid()[0], signal.SIGTERM)
    wait_for(lambda: not m.pid(), timeout=5)
    assert not os.path.ismount(m.path)
    assert out.read_text() == "started\n"  # the command after it did not run
    assert "failed (signal 9)" in m.log.read_text()


def test_a_chatty_hook_does_not_fill_the_log(state, mount, tmp_path):
    """Every line a hook printed went to the daemon's log: 100,000 lines,
    about 8 MB of log for one change (a runaway hook, gigabytes)."""
    out = tmp_path / "hook.out"
    state.write_config({"hooks": {"onChange": [f"seq 1 100000; echo done >> {out}"], "debounceMs": 50}})
    m = mount()
    (m / f"{P}/openai/token").write_text(OPENAI + "\n")
    wait_for(out.exists, timeout=10)
    wait_for(lambda: "hook \"seq 1 100000" in m.log.read_text() and "done (" in m.log.read_text(), timeout=10)
    log = m.log.read_text()
    assert len(log) < 100_000
    assert "hook \"seq 1 100000; echo done" in log and ": 200\n" in log and ": 201\n" not in log
    assert "99800 more lines of output not logged" in log


def test_hook_that_is_not_a_command_is_skipped_with_a_warning(state, mount, tmp_path):
    out = tmp_path / "hook.out"
    state.write_config({"hooks": {"onChange": [42, ["/bin/echo", 1], [], f"echo ran >> {out}"], "debounceMs": 50}})
    m = mount()
    (m / f"{P}/openai/token").write_text(OPENAI + "\n")
    deadline = time.time() + 10
    while time.time() < deadline and not out.exists():
        time.sleep(0.05)
    assert out.read_text() == "ran\n"  # the good one still runs, once
    assert m.log.read_text().count("hooks.onChange: each command must be a string or an array of strings; skipped") == 3
