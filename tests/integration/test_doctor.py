"""doctor finds each planted problem; --fix leaves a state the next doctor
calls healthy. onboard through a real pty and --non-interactive. The auth
monitor's notifications against the fake ntfy endpoint. Metrics and man
pages."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from conftest import BIN, ROOT, SETUP_TOKEN, run_pty, wait_for

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvw"


def doctor(state, *args):
    p = state.run("doctor", "--json", *args)
    return p.returncode, json.loads(p.out)


def checks(report):
    return {f["check"] for f in report["findings"]}


@pytest.fixture
def healthy(state):
    state.paste("openai", KEY)
    os.chmod(state.config, 0o600)
    code, rep = doctor(state)
    assert code == 0 and rep["healthy"], rep
    return state


def test_healthy_install(healthy):
    p = healthy.run("doctor")
    assert p.returncode == 0 and "Healthy" in p.out


@pytest.mark.parametrize("plant,check", [
    (lambda s: os.chmod(s.dir, 0o755), "mode"),
    (lambda s: os.chmod(s.dir / "store.key", 0o644), "mode"),
    (lambda s: os.chmod(s.store(), 0o644), "mode"),
    (lambda s: (s.dir / ".env").write_text("A=1\n") or os.chmod(s.dir / ".env", 0o644), "mode"),
])
def test_modes_found_and_fixed(healthy, plant, check):
    plant(healthy)
    code, rep = doctor(healthy)
    assert code == 1 and check in checks(rep)
    code, rep = doctor(healthy, "--fix", "--yes")
    assert code == 0, rep
    assert rep["healthy"] and rep["fixed"]


def test_file_owned_by_someone_else(healthy):
    os.chown(healthy.store(), 65534, 65534)
    code, rep = doctor(healthy)
    assert code == 1 and "owner" in checks(rep)
    assert any("owned by uid 65534" in f["problem"] for f in rep["findings"])


def test_leftover_temp_file_removed_by_fix(healthy):
    left = healthy.store().parent / "auth-profiles.json.tmp.4242.0"
    left.write_bytes(healthy.store().read_bytes())
    old = time.time() - 600
    os.utime(left, (old, old))
    code, rep = doctor(healthy)
    assert code == 1 and "leftover" in checks(rep)
    code, rep = doctor(healthy, "--fix", "--yes")
    assert code == 0 and not left.exists()


@pytest.mark.parametrize("name,holds", [("store.key.tmp.00ff00ff00ff00ff", "key material"),
                                        ("store.key.next.tmp.00ff00ff00ff00ff", "key material"),
                                        ("nova-engine.json.tmp.00ff00ff00ff00ff", "env values")])
def test_leftovers_of_the_key_and_config_found_and_removed(healthy, name, holds):
    # a writer killed between its temp file and the rename (the key ones
    # hold key material, the config one may hold env values)
    left = healthy.dir / name
    left.write_text("{}")
    os.chmod(left, 0o600)
    old = time.time() - 600
    os.utime(left, (old, old))
    code, rep = doctor(healthy)
    found = [f for f in rep["findings"] if f["check"] == "leftover"]
    assert code == 1 and [f["subject"] for f in found] == [str(left)] and holds in found[0]["problem"]
    code, rep = doctor(healthy, "--fix", "--yes")
    assert code == 0 and not left.exists()


def test_config_syntax(healthy):
    healthy.config.write_text("{ nope")
    code, rep = doctor(healthy)
    assert code == 1 and "config" in checks(rep)
    assert f"{healthy.config}:1:" in json.dumps(rep)


def test_env_syntax(healthy):
    (healthy.dir / ".env").write_text("GOOD=1\nthis is bad\n")
    os.chmod(healthy.dir / ".env", 0o600)
    code, rep = doctor(healthy)
    assert code == 1 and "env-syntax" in checks(rep)


def test_store_that_does_not_open(healthy):
    raw = bytearray(healthy.store().read_bytes())
    raw[-20] ^= 1
    healthy.store().write_bytes(bytes(raw))
    code, rep = doctor(healthy)
    assert code == 1 and "store-open" in checks(rep)


def test_plaintext_store_sealed_by_fix(healthy):
    work = healthy.store("legacy")
    work.parent.mkdir(parents=True)
    work.write_text(json.dumps({"version": 1, "profiles": {"openai:x": {"type": "api_key", "provider": "openai", "key": KEY}}}))
    os.chmod(work, 0o600)
    code, rep = doctor(healthy)
    assert code == 1 and "plaintext-store" in checks(rep)
    code, rep = doctor(healthy, "--fix", "--yes")
    assert code == 0, rep
    assert KEY.encode() not in work.read_bytes()
    assert healthy.run("models", "auth", "token", "openai:x", "--agent", "legacy").out == KEY + "\n"


def test_dangling_order_dropped_by_fix(healthy):
    healthy.paste("openai", KEY + "2", "--profile-id", "two")
    healthy.run("models", "auth", "order", "set", "--provider", "openai", "two", "default")
    healthy.run("models", "auth", "logout", "openai:two", "--yes")
    # logout removes references; plant one with an import instead
    doc = json.loads(healthy.run("store", "export").out)
    doc["order"] = {"openai": ["openai:ghost", "openai:default"]}
    src = healthy.dir / "x.json"
    src.write_text(json.dumps(doc))
    healthy.run("store", "import", str(src))
    src.unlink()
    code, rep = doctor(healthy)
    assert code == 1 and "order-dangling" in checks(rep)
    code, rep = doctor(healthy, "--fix", "--yes")
    assert code == 0, rep
    assert "Order override: openai:default" in healthy.run("models", "auth", "order", "get", "--provider", "openai").out


def test_expiry_and_cooldown(healthy):
    healthy.run("models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "2h", input=SETUP_TOKEN)
    code, rep = doctor(healthy)
    assert code == 1 and "expiry" in checks(rep)
    later = str(int(time.time() * 1000) + 3 * 3600 * 1000)
    p = healthy.run("doctor", "--json", env={"NOVA_ENGINE_NOW_MS": later})
    assert any(f["check"] == "expiry" and f["severity"] == "error" for f in json.loads(p.out)["findings"])
    healthy.run("models", "auth", "logout", "anthropic:default", "--yes")
    healthy.run("models", "auth", "report", "openai:default", "failure", "rate_limit")
    code, rep = doctor(healthy)
    assert "cooldown" in checks(rep) and code == 0  # information, not a problem


def test_env_shadowed(healthy):
    p = healthy.run("doctor", "--json", env={"OPENAI_API_KEY": "sk-test-env-shadow"})
    assert "env-shadowed" in checks(json.loads(p.out))


def test_fuse_checks(healthy):
    p = healthy.run("doctor", "--json", env={"PATH": "/nonexistent"})
    assert "fusermount" in checks(json.loads(p.out))
    healthy.write_config({"fs": {"allowOther": True}})
    os.chmod(healthy.config, 0o600)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "doctor", "--json"],
                       capture_output=True, text=True, env={**healthy.env, "HOME": "/tmp", "NOVA_ENGINE_STATE_DIR": "/tmp/nv-nobody-none"})
    fuse_conf = open("/etc/fuse.conf").read() if os.path.exists("/etc/fuse.conf") else ""
    if "\nuser_allow_other" not in "\n" + fuse_conf:
        assert "allow-other" in p.stdout or "fuse-device" in p.stdout


def test_stale_mount_found_and_cleared(healthy, mount):
    m = mount()
    os.kill(m.pid()[0], 9)
    time.sleep(0.3)
    code, rep = doctor(healthy)
    assert code == 1 and "stale-mount" in checks(rep)
    code, rep = doctor(healthy, "--fix", "--yes")
    assert "stale-mount" not in checks(rep)
    assert not os.path.ismount(m.path)


def all_stopped(pid):
    tasks = pathlib.Path(f"/proc/{pid}/task")
    return all((t / "stat").read_text().rsplit(")", 1)[1].split()[0] == "T" for t in tasks.iterdir())


def test_hung_mount_reported_not_waited_on(healthy, mount):
    """A daemon that does not answer (stopped here; wedged in real life)
    made doctor wait forever in statfs."""
    m = mount()
    pid = m.pid()[0]
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: all_stopped(pid))  # SIGSTOP reaches each thread in its own time
        t0 = time.time()
        code, rep = doctor(healthy)
        took = time.time() - t0
    finally:
        os.kill(pid, signal.SIGCONT)
    assert code == 1 and took < 20
    hung = [f for f in rep["findings"] if f["check"] == "stale-mount" and f["subject"] == str(m.path)]
    assert hung and "does not answer" in hung[0]["problem"], rep


def test_daemon_not_running(healthy, tmp_path):
    healthy.write_config({"fs": {"mountpoint": str(tmp_path / "nowhere")}})
    os.chmod(healthy.config, 0o600)
    code, rep = doctor(healthy)
    assert code == 1 and "daemon" in checks(rep)


def test_doctor_text_names_the_fix(healthy):
    os.chmod(healthy.dir / "store.key", 0o640)
    p = healthy.run("doctor")
    assert p.returncode == 1
    assert f"fix: chmod 600 {healthy.dir / 'store.key'}  (doctor --fix does this)" in p.out


def test_onboard_on_a_pty(state, fake):
    code, shown = run_pty(state, ["onboard"], [
        ("Agent [main]", "helper\n"),
        ("Provider", "openai\n"),
        ("(input hidden)", "sk-test-onboard-0123456789-0123456789abcdef\n"),
        ("systemd user unit", "n\n"),
    ])
    assert code == 0, shown
    assert "sk-test-onboard-0123456789-0123456789abcdef" not in shown
    assert "Checking the key with openai... ok" in shown
    assert "Auth profile: openai:default (openai/api_key) for agent helper" in shown
    assert f"Added agent helper to {state.config}" in shown
    assert {"id": "helper"} in json.loads(state.config.read_text())["agents"]["list"]
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "helper").out == "sk-test-onboard-0123456789-0123456789abcdef\n"


def test_onboard_refused_key_is_not_stored_unless_asked(state, fake):
    code, shown = run_pty(state, ["onboard"], [
        ("Agent [main]", "\n"), ("Provider", "anthropic\n"),
        ("(input hidden)", "sk-test-f401-f401-01234567-0123456789abcdef\n"), ("Store it anyway?", "n\n")])
    assert code == 1 and "nothing stored" in shown
    assert "anthropic:" not in state.run("models", "auth", "list").out


def test_onboard_non_interactive(state):
    p = state.run("onboard", "--non-interactive", "--provider", "groq", "--profile-id", "ci", input="gsk-test-0123456789-0123456789abcdefghijklmn\n")
    assert p.returncode == 0, p.err
    assert "Auth profile: groq:ci (groq/api_key) for agent main" in p.out
    p = state.run("onboard", "--non-interactive")
    assert p.returncode == 2 and "--provider" in p.err
    p = state.run("onboard")
    assert p.returncode == 1 and "interactive" in p.err


def monitor(state, fake, **env):
    e = {**state.env, "NOVA_ENGINE_BIN": BIN, "NOVA_MONITOR_NTFY_URL": fake.url + "/ntfy/creds",
         "NOVA_MONITOR_STATE": str(state.dir / "monitor.state"), **env}
    return subprocess.run(["sh", str(ROOT / "scripts/auth-monitor.sh")], capture_output=True, text=True, env=e, timeout=30)


def test_auth_monitor_test_notification_and_once_an_hour(state, fake):
    state.run("models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "2h", input=SETUP_TOKEN)
    n = len(fake.notes)
    assert monitor(state, fake, NOVA_MONITOR_TEST="1").returncode == 2
    assert len(fake.notes) == n + 1 and "test notification" in fake.notes[-1][2]
    r = monitor(state, fake)
    assert r.returncode == 2
    assert len(fake.notes) == n + 2 and "expires within 24 h" in fake.notes[-1][2]
    assert "anthropic:default expiring" in fake.notes[-1][2]
    assert SETUP_TOKEN not in fake.notes[-1][2]
    monitor(state, fake)
    assert len(fake.notes) == n + 2  # same state within the hour: quiet
    later = str(int(time.time() * 1000) + 3 * 3600 * 1000)
    monitor(state, fake, NOVA_ENGINE_NOW_MS=later)
    assert len(fake.notes) == n + 3 and "expired" in fake.notes[-1][2]


def test_auth_monitor_runs_a_command(state, fake, tmp_path):
    out = tmp_path / "got"
    cmd = tmp_path / "notify.sh"
    cmd.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {out}\n')
    cmd.chmod(0o755)
    monitor(state, fake, NOVA_MONITOR_NTFY_URL="", NOVA_MONITOR_COMMAND=str(cmd), NOVA_MONITOR_TEST="1")
    assert "test notification" in out.read_text()


def test_metrics_file(state, mount):
    state.paste("openai", KEY)
    state.run("models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "3h", input=SETUP_TOKEN)
    m = mount()
    (m / "agents/main/profiles/openai/token").read_text()
    (m / "agents/main/profiles/openai/status").read_text()
    text = (m / ".nova-engine/metrics").read_text()
    assert "# TYPE nova_engine_credential_expiry_seconds gauge" in text
    assert 'nova_engine_credential_state{agent="main",profile="anthropic:default",provider="anthropic",type="token",state="expiring"} 1' in text
    assert 'nova_engine_probe_result{agent="main",profile="openai:default",provider="openai",type="api_key",result="ok"} 1' in text
    assert 'nova_engine_token_reads_total{agent="main"} 1' in text
    assert KEY not in text and SETUP_TOKEN not in text


def test_man_pages_cover_every_command_and_file(state):
    page1 = subprocess.run([BIN, "--man", "1"], capture_output=True, text=True).stdout
    for cmd in subprocess.run([BIN, "--list-commands"], capture_output=True, text=True).stdout.split("\n"):
        if cmd:
            assert f".B nova-engine {cmd}\n" in page1, cmd
    page5 = subprocess.run([BIN, "--man", "5"], capture_output=True, text=True).stdout
    for f in ["token", "order", "status", "status.json", "health", "auth\\-profiles.json", "metrics", "version"]:
        assert f"/{f}\n" in page5, f
    r = subprocess.run(["man", "--warnings", "-l", "-"], input=page5, capture_output=True, text=True)
    assert r.returncode == 0


def test_a_config_key_of_the_wrong_type_is_named_with_its_fix(state):
    # every command ignores such a key and uses its default; doctor said "Healthy"
    state.write_config({"fs": {"probeTtlSeconds": "60", "allowOther": "yes"},
                        "models": {"providers": {"anthropic": {"baseUrl": ["https://proxy.example"]}}},
                        "auth": {"order": {"anthropic": "anthropic:work"}}})
    os.chmod(state.config, 0o600)
    p = state.run("doctor", "--json")
    assert p.returncode == 1
    found = sorted(f["problem"] for f in json.loads(p.out)["findings"] if f["check"] == "config-type")
    c = state.config
    assert found == sorted([f"{c}: auth.order.anthropic must be a list; it is ignored",
                            f"{c}: fs.allowOther must be true or false; it is ignored",
                            f"{c}: fs.probeTtlSeconds must be a number; it is ignored",
                            f"{c}: models.providers.anthropic.baseUrl must be a string; it is ignored"])
    assert state.run("models", "status").returncode == 0  # the rest still works
