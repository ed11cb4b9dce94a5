"""Rough edges a new user meets (issue 11, items 8 and 12): each answer is
the plain one, never a bogus date, a contradiction or a misleading error."""
import json
import os
import signal
import subprocess
import time

from conftest import BIN, Mount, State, is_dead_mount, wait_for

P = "agents/main/profiles"


def test_order_of_a_provider_without_credential_is_an_empty_answer(state, mount):
    p = state.run("models", "auth", "order", "get", "--provider", "groq")
    assert p.returncode == 0, p.err
    assert "Order override: (none)" in p.out
    assert "Effective order: (no usable credential)" in p.out
    j = state.run("models", "auth", "order", "get", "--provider", "groq", "--json")
    assert j.returncode == 0, j.err
    assert json.loads(j.out)["effective"] == [] and json.loads(j.out)["order"] is None
    m = mount()
    assert (m / f"{P}/groq/order").read_text() == ""
    assert os.stat(m / f"{P}/groq/order").st_size == 0


def other_state_mount(tmp_path, fake):
    """A mount of another state dir (another user's, another checkout's)."""
    base = tmp_path / "other"
    base.mkdir()
    other = State(base, fake)
    other.write_config({})
    other.paste("openai", "sk-test-other-state-" + "0123456789abcdef" * 2)
    return Mount(other, tmp_path / "othermnt")


def test_doctor_ignores_dead_and_hung_mounts_of_others(state, tmp_path, fake):
    state.paste("openai", "sk-test-doctor-mine-" + "0123456789abcdef" * 2)
    os.chmod(state.config, 0o600)
    dead = other_state_mount(tmp_path, fake)
    os.kill(dead.pid()[0], signal.SIGKILL)
    wait_for(lambda: is_dead_mount(dead.path))
    hung = Mount(dead.state, tmp_path / "hungmnt")
    hung_pid = hung.pid()[0]
    os.kill(hung_pid, signal.SIGSTOP)
    try:
        t = time.time()
        p = state.run("doctor", timeout=20)
        assert p.returncode == 0 and "Healthy" in p.out, p.out
        assert time.time() - t < 10
    finally:
        os.kill(hung_pid, signal.SIGCONT)
        hung.unmount()
        dead.unmount()


def test_daemon_started_with_sigint_ignored_still_unmounts_on_sigint(state, tmp_path):
    state.paste("openai", "sk-test-sigint-ign-" + "0123456789abcdef" * 2)
    mp = tmp_path / "mnt"
    mp.mkdir()
    p = subprocess.run([BIN, "mount", str(mp)], env=state.env, capture_output=True, text=True,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert p.returncode == 0, p.stderr
    wait_for(lambda: os.path.ismount(mp))
    pid = int(subprocess.run(["pgrep", "-f", f"nova-engine mount {mp}"], capture_output=True, text=True).stdout.split()[0])
    try:
        os.kill(pid, signal.SIGINT)
        wait_for(lambda: not os.path.ismount(mp), timeout=5)
    finally:
        if os.path.ismount(mp):
            subprocess.run(["fusermount3", "-uz", str(mp)])
            os.kill(pid, signal.SIGKILL)


# ---- disabled profiles, expiry words and doctor's fixes (issue 11 item 12)

HOUR = 3600 * 1000
SENTINEL = 8640000000000000  # what invalid_grant stores: the largest valid time (year 275760)


def now_ms():
    return int(time.time() * 1000)


def import_doc(state, doc, agent="main"):
    src = state.dir / f"import-{time.time_ns()}.json"
    src.write_text(json.dumps({"version": 1, **doc}))
    r = state.run("store", "import", str(src), "--agent", agent)
    assert r.returncode == 0, r.err
    src.unlink()


def refused_oauth(state, pid="anthropic:dead"):
    """An oauth profile whose refresh the provider refused (invalid_grant),
    made the way a user gets one: expired, then read."""
    import_doc(state, {"profiles": {pid: {"type": "oauth", "provider": "anthropic", "access": "acc-test-old-0123456789",
                                          "refresh": f"ref-test-revoked-{time.time_ns()}", "expires": now_ms() - 1000}}})
    state.run("models", "auth", "token", pid)
    usage = json.loads(state.run("store", "export").out)["usageStats"][pid]
    assert usage["disabledReason"] == "auth", usage


def api_key(name):
    return {"type": "api_key", "provider": "anthropic", "key": f"sk-ant-api03-test-{name}-0123456789-0123456789abcdef"}


def no_bogus_time(text):
    assert "275760" not in text and "99979" not in text and "1000000" not in text, text


def test_a_disable_without_end_reads_disabled_with_its_reason_never_a_date(state, mount):
    refused_oauth(state)
    import_doc(state, {"profiles": {"anthropic:gone": api_key("gone"), "anthropic:bill": api_key("bill")},
                       "usageStats": {"anthropic:gone": {"disabledUntil": 1e300, "disabledReason": "billing"},
                                      "anthropic:bill": {"disabledUntil": now_ms() + 5 * HOUR, "disabledReason": "billing"}}})
    text = state.run("models", "status").out
    no_bogus_time(text)
    assert "- anthropic:dead oauth expired 0m ago, disabled (auth: re-authentication required)\n" in text, text
    view = json.loads(state.run("models", "status", "--json").out)
    rows = {p["id"]: p for p in view["auth"]["providers"][0]["profiles"]}
    assert rows["anthropic:gone"]["cooldown"] == "disabled" and "availableAt" not in rows["anthropic:gone"]
    assert rows["anthropic:gone"]["disabledReason"] == "billing"
    assert rows["anthropic:bill"]["cooldown"] == "5h" and rows["anthropic:bill"]["availableAt"].startswith("20")
    assert rows["anthropic:bill"]["unavailable"].startswith("disabled (billing) for 5h, until 20")
    m = mount()
    for f in ("dead/status", "dead/health", "gone/status", "gone/health", "status", "status.json"):
        no_bogus_time((m / f"{P}/anthropic/{f}").read_text())
    dead = (m / f"{P}/anthropic/dead/status").read_text()
    assert "cooldown: disabled\ndisabled_reason: auth\ndisabled_message: re-authentication required\n" in dead
    assert "available_at" not in dead
    bill = (m / f"{P}/anthropic/bill/health").read_text()
    assert "cooldown: 5h\navailable_at: 20" in bill and "disabled_reason: billing" in bill
    no_bogus_time(state.run("doctor").out)


def test_usable_agrees_with_the_state(state, mount):
    refused_oauth(state)
    m = mount()
    dead = (m / f"{P}/anthropic/dead/status").read_text()
    assert "state: expired\n" in dead and "usable: false\n" in dead and "next: false\n" in dead
    # a working profile after it is the one served, and the one marked next
    state.paste("anthropic", "sk-ant-api03-test-backup-0123456789-0123456789abcdef", "--profile-id", "backup")
    state.run("models", "auth", "order", "set", "--provider", "anthropic", "dead", "backup")
    wait_for(lambda: "anthropic:backup" in (m / f"{P}/anthropic/order").read_text())
    entries = json.loads((m / f"{P}/anthropic/status.json").read_text())
    by = {e["profile"]: e for e in entries}
    assert (by["anthropic:dead"]["usable"], by["anthropic:dead"]["next"]) == (False, False)
    assert (by["anthropic:backup"]["usable"], by["anthropic:backup"]["next"]) == (True, True)
    assert (m / f"{P}/anthropic/token").read_text().startswith("sk-ant-api03-test-backup")
    # an expired oauth that can still be refreshed is ok, and usable
    ref = f"ref-test-{time.time_ns()}-padding"
    state.fake.add_refresh_token(ref, access_prefix="acc-test-new")
    import_doc(state, {"profiles": {"anthropic:fresh": {"type": "oauth", "provider": "anthropic", "access": "acc-test-0123456789",
                                                        "refresh": ref, "expires": now_ms() - 1000}}})
    e = [e for e in json.loads(state.run("models", "auth", "list", "--json").out) if e["id"] == "anthropic:fresh"][0]
    assert e["state"] == "ok (refreshable)"
    state.run("models", "auth", "order", "set", "--provider", "anthropic", "dead", "backup", "fresh")
    wait_for(lambda: "anthropic:fresh" in (m / f"{P}/anthropic/order").read_text())
    fresh = (m / f"{P}/anthropic/fresh/status").read_text()
    assert "state: ok (refreshable)\n" in fresh and "usable: true\n" in fresh


def test_no_state_word_is_printed_twice(state):
    refused_oauth(state)
    state.paste("anthropic", SETUP_TOKEN_SHAPE, "--profile-id", "tok", "--expires-in", "1h", kind="paste-token")
    later = str(now_ms() + 3 * HOUR)
    text = state.run("models", "status", env={"NOVA_ENGINE_NOW_MS": later}).out
    assert "- anthropic:tok token expired 2h ago\n" in text, text
    for word in ("expired", "expiring", "static", "missing", "disabled", "cooldown"):
        assert f"{word} {word}" not in text, text
    for args in (("models", "auth", "list"), ("doctor",)):
        out = state.run(*args, env={"NOVA_ENGINE_NOW_MS": later}).out
        assert "expired expired" not in out, out


SETUP_TOKEN_SHAPE = "sk-ant-oat01-" + "T3stOnlyNotARealToken" * 4


def test_doctor_fix_for_an_expired_profile_is_exact_and_runs(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]}})
    os.chmod(state.config, 0o600)
    state.paste("anthropic", SETUP_TOKEN_SHAPE, "--profile-id", "work", "--agent", "ops", "--expires-in", "1h", kind="paste-token")
    state.paste("anthropic", SETUP_TOKEN_SHAPE, "--profile-id", "home", "--expires-in", "1h", kind="paste-token")
    later = {"NOVA_ENGINE_NOW_MS": str(now_ms() + 2 * HOUR)}
    rep = json.loads(state.run("doctor", "--json", env=later).out)
    fixes = {f["subject"]: f["fix"] for f in rep["findings"] if f["check"] == "expiry"}
    assert fixes == {"anthropic:work": "nova-engine models auth paste-token --provider anthropic --profile-id anthropic:work --agent ops",
                     "anthropic:home": "nova-engine models auth paste-token --provider anthropic --profile-id anthropic:home"}, fixes
    for fix in fixes.values():
        argv = fix.split()
        assert argv[0] == "nova-engine"
        r = state.run(*argv[1:], "--expires-in", "30d", input=SETUP_TOKEN_SHAPE + "\n", env=later)
        assert r.returncode == 0, r.err
    rep = json.loads(state.run("doctor", "--json", env=later).out)
    assert not [f for f in rep["findings"] if f["check"] == "expiry"], rep
    refused_oauth(state)
    fix = [f["fix"] for f in json.loads(state.run("doctor", "--json").out)["findings"] if f["subject"] == "anthropic:dead"]
    assert fix == ["nova-engine models auth login --provider anthropic --profile-id anthropic:dead"], fix


def test_doctor_advice_fits_why_a_profile_is_held_back(state):
    import_doc(state, {"profiles": {"anthropic:gone": api_key("gone"), "anthropic:bill": api_key("bill"),
                                    "anthropic:slow": api_key("slow")},
                       "usageStats": {"anthropic:gone": {"disabledUntil": SENTINEL, "disabledReason": "billing"},
                                      "anthropic:bill": {"disabledUntil": now_ms() + 5 * HOUR, "disabledReason": "billing"},
                                      "anthropic:slow": {"cooldownUntil": now_ms() + 4 * 60 * 1000}}})
    rep = json.loads(state.run("doctor", "--json").out)
    f = {f["subject"]: f for f in rep["findings"] if f["check"] == "cooldown"}
    for pid in ("anthropic:gone", "anthropic:bill"):
        assert not f[pid]["fix"].startswith("wait") and "billing" in f[pid]["fix"], f[pid]
        assert f[pid]["fix"].endswith(f"nova-engine models auth report {pid} good"), f[pid]
    assert f["anthropic:gone"]["severity"] == "warning" and f["anthropic:gone"]["problem"] == "agent main: anthropic:gone is disabled (billing)"
    assert f["anthropic:bill"]["severity"] == "info"
    assert "in cooldown for 4m" in f["anthropic:slow"]["problem"] or "in cooldown for 3m" in f["anthropic:slow"]["problem"]
    # the command given is real: it puts the profile back in use
    r = state.run(*f["anthropic:gone"]["fix"].split(": ")[-1].split()[1:])
    assert r.returncode == 0, r.err
    rep = json.loads(state.run("doctor", "--json").out)
    assert "anthropic:gone" not in {f["subject"] for f in rep["findings"]}


def test_auth_monitor_by_hand_reads_the_state_env_file(state, fake, tmp_path):
    """README: put NOVA_MONITOR_* in <state>/.env, then
    `NOVA_MONITOR_TEST=1 nova-engine-auth-monitor` sends a test note."""
    from conftest import ROOT
    got, pwned = tmp_path / "got", tmp_path / "pwned"
    notify = tmp_path / "notify.sh"
    notify.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {got}\n')
    notify.chmod(0o755)
    env_file = state.dir / ".env"
    env_file.write_text(f"NOVA_MONITOR_COMMAND={notify}\nexport NOVA_MONITOR_NTFY_URL='{fake.url}/ntfy/by-hand'\n"
                        f"NOVA_MONITOR_STATE={tmp_path}/monitor.state\nNOT_SHELL=$(touch {pwned})\n")
    env_file.chmod(0o600)
    state.paste("openai", "sk-test-monitor-by-hand-" + "0123456789abcdef" * 2)
    e = {k: v for k, v in state.env.items() if not k.startswith("NOVA_MONITOR_")}
    n = len(fake.notes)
    r = subprocess.run(["sh", str(ROOT / "scripts/auth-monitor.sh")], capture_output=True, text=True, timeout=60,
                       env={**e, "NOVA_ENGINE_BIN": BIN, "NOVA_MONITOR_TEST": "1"})
    assert r.returncode == 0, r.stderr
    assert "test notification" in got.read_text()
    assert len(fake.notes) == n + 1 and fake.notes[-1][0] == "/ntfy/by-hand" and "test notification" in fake.notes[-1][2]
    assert not pwned.exists()  # the file is read as KEY=value, never run
    # the process environment still wins over the file
    r = subprocess.run(["sh", str(ROOT / "scripts/auth-monitor.sh")], capture_output=True, text=True, timeout=60,
                       env={**e, "NOVA_ENGINE_BIN": BIN, "NOVA_MONITOR_TEST": "1", "NOVA_MONITOR_NTFY_URL": "",
                            "NOVA_MONITOR_COMMAND": ""})
    assert r.returncode == 0 and "test notification" in r.stdout and len(fake.notes) == n + 1, r.stdout


def test_env_get_prints_a_setting_as_commands_see_it(state):
    env_file = state.dir / ".env"
    env_file.write_text("NOVA_MONITOR_NTFY_URL=https://ntfy.example/topic\nOPENAI_API_KEY=sk-test-env-get-0123456789abcdef\n")
    env_file.chmod(0o600)
    (state.cwd / ".env").write_text("NOVA_MONITOR_COMMAND=/tmp/evil\n")  # untrusted: never a setting
    try:
        p = state.run("env", "get", "NOVA_MONITOR_NTFY_URL")
        assert (p.returncode, p.out) == (0, "https://ntfy.example/topic\n")
        p = state.run("env", "get", "NOVA_MONITOR_NTFY_URL", env={"NOVA_MONITOR_NTFY_URL": "https://mine"})
        assert p.out == "https://mine\n"
        p = state.run("env", "get", "NOVA_MONITOR_COMMAND")
        assert (p.returncode, p.out, p.err) == (1, "", "")
        p = state.run("env", "get", "OPENAI_API_KEY")
        assert p.returncode == 1 and p.out == "" and "NOVA_* names only" in p.err and "sk-test" not in p.err
    finally:
        (state.cwd / ".env").unlink()


def test_hand_made_usage_numbers_never_print_as_bogus_dates(state, mount):
    import_doc(state, {"profiles": {"anthropic:odd": api_key("odd")},
                       "usageStats": {"anthropic:odd": {"lastUsed": 1e300, "cooldownUntil": 1e300, "lastFailureAt": -5}}})
    m = mount()
    health = (m / f"{P}/anthropic/odd/health").read_text()
    assert "last_used: not a valid time\n" in health and "cooldown: disabled\n" in health, health
    assert "-292275055" not in health and "available_at" not in health
    no_bogus_time((m / f"{P}/anthropic/odd/status").read_text())


def suggested(err):
    """The command an error tells the user to run (between backquotes)."""
    import re
    m = re.search(r"`(nova-engine [^`]+)`", err)
    assert m, err
    return m.group(1).split()[1:]


def test_errors_name_the_exact_command_for_that_profile_and_agent(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]}})
    # no credential for agent ops: the command stores it for ops, not main
    p = state.run("models", "auth", "token", "--provider", "openai", "--agent", "ops")
    assert p.returncode == 1 and "paste-api-key --provider openai --agent ops`" in p.err, p.err
    r = state.run(*suggested(p.err), input="sk-test-ops-suggested-0123456789abcdef\n")
    assert r.returncode == 0, r.err
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "ops").out == "sk-test-ops-suggested-0123456789abcdef\n"
    assert state.run("models", "auth", "token", "--provider", "openai").returncode == 1  # main got nothing
    # every token of ops expired: renew that very profile, in its place
    state.paste("anthropic", SETUP_TOKEN_SHAPE, "--profile-id", "w", "--agent", "ops", "--expires-in", "1h", kind="paste-token")
    later = {"NOVA_ENGINE_NOW_MS": str(now_ms() + 2 * HOUR)}
    p = state.run("models", "auth", "token", "--provider", "anthropic", "--agent", "ops", env=later)
    assert p.returncode == 1 and suggested(p.err) == ["models", "auth", "paste-token", "--provider", "anthropic",
                                                      "--profile-id", "anthropic:w", "--agent", "ops"], p.err
    p = state.run("models", "auth", "token", "anthropic:w", "--agent", "ops", env=later)
    assert p.returncode == 1 and "--profile-id anthropic:w --agent ops`" in p.err, p.err
    r = state.run(*suggested(p.err), "--expires-in", "30d", input=SETUP_TOKEN_SHAPE + "\n", env=later)
    assert r.returncode == 0, r.err
    assert state.run("models", "auth", "token", "--provider", "anthropic", "--agent", "ops", env=later).returncode == 0
    # a refresh the provider refused: log in again, to that profile
    refused_oauth(state)
    p = state.run("models", "auth", "token", "anthropic:dead")
    assert p.returncode == 1 and suggested(p.err) == ["models", "auth", "login", "--provider", "anthropic",
                                                      "--profile-id", "anthropic:dead"], p.err
