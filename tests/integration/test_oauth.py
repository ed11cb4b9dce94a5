"""OAuth refresh (SPEC 9) against the fake token endpoint: rotation,
invalid_grant, network failures, and the cross-process race."""
import json
import subprocess
import threading
import time

from conftest import BIN

P = "agents/main/profiles"
HOUR = 3600 * 1000


def now_ms():
    return int(time.time() * 1000)


def put_oauth(state, refresh, expires, pid="anthropic:default", access="acc-test-old-0123456789"):
    cred = {"type": "oauth", "access": access, "refresh": refresh, "expires": expires}
    # an oauth pair goes in through import (or a JSON write in the mount)
    doc = {"version": 1, "profiles": {pid: {**cred, "provider": "anthropic"}}}
    src = state.dir / f"import-{time.time_ns()}.json"
    src.write_text(json.dumps(doc))
    r = state.run("store", "import", str(src))
    assert r.returncode == 0, r.err
    src.unlink()


def stored(state, pid="anthropic:default"):
    return json.loads(state.run("store", "export").out)["profiles"][pid]


def test_expired_oauth_is_refreshed_and_rotated(state, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-new")
    put_oauth(state, ref, now_ms() - 1000)
    calls = fake.refresh_calls
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert p.returncode == 0, p.err
    assert p.out.startswith("acc-test-new-")
    assert fake.refresh_calls == calls + 1
    cred = stored(state)
    assert cred["refresh"] != ref and cred["access"] == p.out.strip()
    assert cred["expires"] > now_ms() + 50 * 60 * 1000
    # fresh now: no second refresh
    assert state.run("models", "auth", "token", "anthropic:default").out == p.out
    assert fake.refresh_calls == calls + 1


def test_refresh_five_minutes_early(state, fake):
    ref = f"ref-test-{time.time_ns()}-padding"
    fake.add_refresh_token(ref, access_prefix="acc-test-early")
    put_oauth(state, ref, now_ms() + 4 * 60 * 1000)
    assert state.run("models", "auth", "token", "--provider", "anthropic").out.startswith("acc-test-early-")


def test_not_refreshed_when_far_from_expiry(state, fake):
    put_oauth(state, "ref-test-unused-0123456789", now_ms() + HOUR)
    calls = fake.refresh_calls
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == "acc-test-old-0123456789\n"
    assert fake.refresh_calls == calls


def test_invalid_grant_disables_and_next_profile_is_used(state, fake):
    put_oauth(state, "ref-test-revoked-0123456789", now_ms() - 1000, pid="anthropic:dead")
    state.paste("anthropic", "sk-ant-api03-test-backup-0123456789-0123456789abcdef", "--profile-id", "backup")
    state.run("models", "auth", "order", "set", "--provider", "anthropic", "dead", "backup")
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert p.out == "sk-ant-api03-test-backup-0123456789-0123456789abcdef\n", p.err
    usage = json.loads(state.run("store", "export").out)["usageStats"]["anthropic:dead"]
    assert usage["disabledReason"] == "auth" and usage["disabledMessage"] == "re-authentication required"
    p = state.run("models", "auth", "token", "anthropic:dead")
    assert p.returncode == 1 and "re-authentication required" in p.err


def test_invalid_grant_alone_is_ekeyrejected_in_the_mount(state, mount, fake):
    put_oauth(state, "ref-test-revoked-again-0123", now_ms() - 1000)
    m = mount()
    try:
        (m / f"{P}/anthropic/token").read_text()
        raise AssertionError("read should fail")
    except OSError as e:
        assert e.errno == 129  # EKEYREJECTED
    r = subprocess.run(["cat", str(m / f"{P}/anthropic/token")], capture_output=True, text=True)
    assert "Key was rejected by service" in r.stderr


def test_network_failure_keeps_a_still_valid_token(state, fake):
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": "http://127.0.0.1:9/none"}}}}})
    put_oauth(state, "ref-test-kept-0123456789", now_ms() + 2 * 60 * 1000)
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert p.out == "acc-test-old-0123456789\n", p.err
    assert stored(state)["refresh"] == "ref-test-kept-0123456789"


def test_network_failure_on_dead_token_is_an_error_not_a_verdict(state, fake):
    state.write_config({"models": {"providers": {"anthropic": {"oauth": {"tokenUrl": "http://127.0.0.1:9/none"}}}}})
    put_oauth(state, "ref-test-kept-0123456789", now_ms() - 1000)
    p = state.run("models", "auth", "token", "anthropic:default")
    assert p.returncode == 1 and "cannot reach the token endpoint" in p.err
    assert "disabledReason" not in json.dumps(json.loads(state.run("store", "export").out).get("usageStats", {}))


def test_refresh_race_three_processes_one_refresh_50_times(state, mount, fake):
    m = mount()
    fake.refresh_delay = 0.05
    try:
        for round in range(50):
            ref = f"ref-test-race-{round}-{time.time_ns()}"
            fake.add_refresh_token(ref, access_prefix=f"acc-test-race{round}")
            put_oauth(state, ref, now_ms() - 1000)
            calls = fake.refresh_calls
            outs = [None, None, None]

            def cli(i):
                outs[i] = subprocess.run([BIN, "models", "auth", "token", "--provider", "anthropic"],
                                         capture_output=True, text=True, env=state.env, timeout=30).stdout

            def cat():
                outs[2] = (m / f"{P}/anthropic/token").read_text()
            ts = [threading.Thread(target=cli, args=(0,)), threading.Thread(target=cli, args=(1,)),
                  threading.Thread(target=cat)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(timeout=30)
            assert fake.refresh_calls == calls + 1, round
            assert len(set(outs)) == 1 and outs[0].startswith(f"acc-test-race{round}-"), (round, outs)
    finally:
        fake.refresh_delay = 0


def test_revoked_refresh_names_the_command_that_fixes_it(state, fake):
    """The first refusal (a named profile) and every read by provider said
    'log in again' with no command, or 'run nova-engine models auth login'
    without the --provider that command requires."""
    fix = "`nova-engine models auth login --provider anthropic --profile-id anthropic:max`"
    put_oauth(state, "ref-test-revoked-named-0123", now_ms() - 1000, pid="anthropic:max")
    p = state.run("models", "auth", "token", "anthropic:max")
    assert p.returncode == 1 and "re-authentication required" in p.err and fix in p.err, p.err
    put_oauth(state, "ref-test-revoked-provider-0123", now_ms() - 1000, pid="anthropic:max")
    for _ in range(2):  # the refusal, then the disabled profile
        p = state.run("models", "auth", "token", "--provider", "anthropic")
        assert p.returncode == 1 and "rejected by the provider" in p.err and fix in p.err, p.err
