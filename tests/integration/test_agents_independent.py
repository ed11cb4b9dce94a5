"""Agents are independent (SPEC 12, issue "Trust II" item 3): storing a
credential for one agent never makes another agent's credential under the
same profile id unusable, whichever path writes it (onboard, paste-token,
setup-token, a write through the mount). The config's auth.profiles mode is
shared by every agent, so a write pins a type there only when no agent's
credential would be dropped by it. Every secret here is made up."""
import json
import os

import pytest

from conftest import SETUP_TOKEN, run_pty

KEY = "sk-ant-api03-" + "AgentsIndependentKey0123" * 3
TOKEN_OPS = "sk-ant-oat01-" + "OpsOwnSetupToken0123456" * 4


@pytest.fixture
def two_agents(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "ops"}]}})
    state.paste("anthropic", KEY)
    return state


def config_mode(state, pid="anthropic:default"):
    return json.loads(state.config.read_text())["auth"]["profiles"][pid].get("mode")


def assert_both_usable(state, ops_secret):
    p = state.run("models", "auth", "token", "--provider", "anthropic")
    assert p.returncode == 0 and p.out == KEY + "\n", p.err
    p = state.run("models", "auth", "token", "--provider", "anthropic", "--agent", "ops")
    assert p.returncode == 0 and p.out == ops_secret + "\n", p.err
    p = state.run("models", "status", "--json")
    prov = [x for x in json.loads(p.out)["auth"]["providers"] if x["provider"] == "anthropic"][0]
    assert prov["effective"] == "profile:anthropic:default"


def test_a_lone_agent_still_gets_its_mode_pinned(two_agents):
    assert config_mode(two_agents) == "api_key"


def test_onboard_for_another_agent_keeps_mains_key_usable(two_agents):
    p = two_agents.run("onboard", "--non-interactive", "--agent", "ops", "--provider", "anthropic",
                       input=TOKEN_OPS + "\n")
    assert p.returncode == 0, p.err
    assert "Auth profile: anthropic:default (anthropic/token) for agent ops" in p.out
    assert config_mode(two_agents) is None  # the agents disagree: no type pinned
    assert_both_usable(two_agents, TOKEN_OPS)


def test_paste_token_for_another_agent_keeps_mains_key_usable(two_agents):
    two_agents.paste("anthropic", TOKEN_OPS, "--agent", "ops", kind="paste-token")
    assert_both_usable(two_agents, TOKEN_OPS)
    # main writing its own type again does not put the pin back over ops
    two_agents.paste("anthropic", KEY)
    assert config_mode(two_agents) is None
    assert_both_usable(two_agents, TOKEN_OPS)


def test_setup_token_for_another_agent_keeps_mains_key_usable(two_agents):
    code, shown = run_pty(two_agents, ["models", "auth", "setup-token", "--provider", "anthropic", "--agent", "ops",
                                       "--yes"], [("(input hidden)", SETUP_TOKEN + "\n")])
    assert code == 0, shown
    assert_both_usable(two_agents, SETUP_TOKEN)


def test_same_type_for_another_agent_keeps_the_pin(two_agents):
    other = "sk-ant-api03-" + "OpsOwnApiKey0123456789ab" * 3
    two_agents.paste("anthropic", other, "--agent", "ops")
    assert config_mode(two_agents) == "api_key"
    assert_both_usable(two_agents, other)


def test_a_write_through_the_mount_keeps_mains_key_usable(two_agents, mount):
    m = mount()
    with open(m / "agents/ops/profiles/anthropic/token", "w") as f:
        f.write(TOKEN_OPS + "\n")
    assert config_mode(two_agents) is None
    assert_both_usable(two_agents, TOKEN_OPS)
    with open(m / "agents/main/profiles/anthropic/token") as f:
        assert f.read() == KEY + "\n"
    with open(m / "agents/ops/profiles/anthropic/default/token") as f:
        assert f.read() == TOKEN_OPS + "\n"


# --- a stored credential that cannot be used is visible everywhere ---

FIX_MODE = "nova-engine models auth paste-token --provider anthropic --profile-id anthropic:default"


@pytest.fixture
def pinned_wrong(state):
    """main's api key, then a hand-edited config mode that drops it."""
    state.paste("anthropic", KEY)
    cfg = json.loads(state.config.read_text())
    cfg["auth"]["profiles"]["anthropic:default"]["mode"] = "token"
    state.config.write_text(json.dumps(cfg))
    return state


def test_a_mode_mismatch_shows_in_status_text_and_json(pinned_wrong):
    p = pinned_wrong.run("models", "status")
    assert p.returncode == 0, p.err
    assert "- anthropic:default (api_key): the config pins auth.profiles \"anthropic:default\" to mode \"token\" but this is an api_key" in p.out
    assert f"  fix: {FIX_MODE} (store what the mode names), or remove \"mode\" from auth.profiles \"anthropic:default\" in {pinned_wrong.config}" in p.out
    assert "anthropic    effective=none" in p.out  # the provider line is not hidden
    v = json.loads(pinned_wrong.run("models", "status", "--json").out)
    [u] = v["auth"]["unusable"]
    assert u["id"] == "anthropic:default" and u["unusable"] == "mode" and u["fix"].startswith(FIX_MODE)
    prov = [x for x in v["auth"]["providers"] if x["provider"] == "anthropic"][0]
    assert prov["profiles"][0]["usable"] is False and prov["profiles"][0]["unusable"] == "mode"
    assert v["check"] == 1


def test_a_mode_mismatch_fails_check(pinned_wrong):
    assert pinned_wrong.run("models", "status", "--check").returncode == 1


def test_doctor_explains_a_mode_mismatch(pinned_wrong):
    p = pinned_wrong.run("doctor")
    assert p.returncode == 1, p.out
    assert "agent main: anthropic:default is not usable: the config pins" in p.out
    assert f"; or store what the mode names: {FIX_MODE}" in p.out
    assert (f'fix: remove "mode" from auth.profiles "anthropic:default" in {pinned_wrong.config}'
            "  (doctor --fix does this)") in p.out
    f = [x for x in json.loads(pinned_wrong.run("doctor", "--json").out)["findings"] if x["check"] == "unusable"]
    assert f and f[0]["subject"] == "main/anthropic:default" and f[0]["severity"] == "error" and f[0]["fixable"]


def test_doctor_fix_takes_away_a_pin_that_drops_a_credential(two_agents):
    """What the old onboard --agent ops left behind: mode token over main's key."""
    two_agents.paste("anthropic", TOKEN_OPS, "--agent", "ops", kind="paste-token")
    cfg = json.loads(two_agents.config.read_text())
    cfg["auth"]["profiles"]["anthropic:default"]["mode"] = "token"
    two_agents.config.write_text(json.dumps(cfg))
    assert two_agents.run("models", "auth", "token", "--provider", "anthropic").returncode == 1
    p = two_agents.run("doctor", "--fix", "--yes")
    assert config_mode(two_agents) is None, p.out
    assert_both_usable(two_agents, TOKEN_OPS)
    assert two_agents.run("doctor").returncode == 0


def test_token_says_why_there_is_no_credential(pinned_wrong):
    p = pinned_wrong.run("models", "auth", "token", "--provider", "anthropic")
    assert p.returncode == 1 and p.out == ""
    assert p.err.startswith('Error: no usable anthropic credential for agent "main": anthropic:default is not usable (the config pins')
    assert FIX_MODE in p.err and KEY not in p.err


def test_the_mount_status_files_say_why(pinned_wrong, mount):
    m = mount()
    for rel in ("agents/main/profiles/anthropic/status", "agents/main/profiles/anthropic/default/status"):
        text = (m / rel).read_text()
        assert "usable: false" in text, text
        assert "unusable: mode" in text
        assert 'unusable_reason: the config pins auth.profiles "anthropic:default" to mode "token" but this is an api_key' in text
        assert f"fix: {FIX_MODE}" in text
    [e] = json.loads((m / "agents/main/profiles/anthropic/status.json").read_text())
    assert e["unusable"] == "mode" and e["usable"] is False


def legacy_store(state, profiles):
    """An older install's plaintext store, read as is (SPEC 4)."""
    path = state.store()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": profiles}))
    os.chmod(path, 0o600)


@pytest.mark.parametrize("cred, name, reason, fix", [
    ({"type": "api_key", "provider": "openai", "key": ""}, "blank", "its key is blank",
     "nova-engine models auth paste-api-key --provider openai --profile-id openai:default"),
    ({"type": "oauth", "provider": "openai", "access": "", "refresh": "", "expires": 9999999999999}, "no_tokens",
     "it holds neither an access nor a refresh token",
     "nova-engine models auth login --provider openai --profile-id openai:default"),
])
def test_every_unusable_kind_is_visible(state, cred, name, reason, fix):
    legacy_store(state, {"openai:default": cred})
    v = json.loads(state.run("models", "status", "--json").out)
    [u] = v["auth"]["unusable"]
    assert (u["unusable"], u["reason"], u["fix"]) == (name, reason, fix)
    assert state.run("models", "status", "--check").returncode == 1
    p = state.run("doctor")
    assert p.returncode == 1 and f"openai:default is not usable: {reason}" in p.out and f"fix: {fix}" in p.out
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert p.returncode == 1 and f"openai:default is not usable ({reason}): {fix}" in p.err


def test_an_expired_token_is_listed_with_its_fix(state):
    state.paste("anthropic", SETUP_TOKEN, "--expires-in", "1h", kind="paste-token")
    later = str(int(__import__("time").time() * 1000) + 2 * 3600 * 1000)
    v = json.loads(state.run("models", "status", "--json", env={"NOVA_ENGINE_NOW_MS": later}).out)
    [u] = v["auth"]["unusable"]
    assert u["unusable"] == "expired" and u["reason"].startswith("the token expired at ")
    assert u["fix"] == "nova-engine models auth paste-token --provider anthropic --profile-id anthropic:default"
    assert state.run("models", "status", "--check", env={"NOVA_ENGINE_NOW_MS": later}).returncode == 1


def test_the_fix_names_the_agent_that_holds_it(two_agents):
    two_agents.paste("anthropic", KEY, "--agent", "ops", "--profile-id", "work")
    cfg = json.loads(two_agents.config.read_text())
    cfg["auth"]["profiles"]["anthropic:work"]["mode"] = "oauth"
    two_agents.config.write_text(json.dumps(cfg))
    fix = "nova-engine models auth login --provider anthropic --profile-id anthropic:work --agent ops"
    p = two_agents.run("doctor")
    assert p.returncode == 1 and "agent ops: anthropic:work is not usable" in p.out
    assert f"or store what the mode names: {fix}" in p.out
    assert two_agents.run("models", "status", "--check", "--agent", "ops").returncode == 1
    assert two_agents.run("models", "status", "--check").returncode == 0  # main's own credential is fine
