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
