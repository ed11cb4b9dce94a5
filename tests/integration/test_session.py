"""Sessions, the /model grammar, pins, and rotation feedback (issue 6)."""
import os
import subprocess
import time

import pytest

P = "agents/main"
KEYS = {"default": "sk-test-first-0123456789-abcdefghijklmnopqrstuvwxyz",
        "work": "sk-test-work-0123456789-abcdefghijklmnopqrstuvwxyz",
        "oa": "sk-test-openai-0123456789-abcdefghijklmnopqrstuvwxyz"}


@pytest.fixture
def chat(state):
    state.write_config({"models": {"default": "anthropic/claude-opus-4-5", "fallbacks": ["openai/gpt-5"],
                                   "aliases": {"opus": "anthropic/claude-opus-4-5", "gpt": "openai/gpt-5"},
                                   "providers": {"anthropic": {"baseUrl": state.fake.url}}}})
    state.paste("anthropic", KEYS["default"])
    state.paste("anthropic", KEYS["work"], "--profile-id", "work")
    state.paste("openai", KEYS["oa"])
    state.run("models", "auth", "order", "set", "--provider", "anthropic", "default", "work")
    return state


def say(state, sid, *words, code=0):
    p = state.run("models", "session", sid, *words)
    assert p.returncode == code, p.err
    return p.out if code == 0 else p.err


def test_list_is_a_compact_picker(chat):
    out = say(chat, "s1", "/model")
    assert out == say(chat, "s1", "/model", "list")
    assert "* anthropic/claude-opus-4-5 (default) [auth: anthropic:default]" in out
    assert "  openai/gpt-5 (fallback) [auth: openai:default]" in out
    assert "alias opus -> anthropic/claude-opus-4-5" in out


def test_status_is_the_full_view(chat):
    out = say(chat, "s1", "/model", "status")
    assert "Model: anthropic/claude-opus-4-5" in out and "Provider: anthropic" in out
    assert f"Endpoint: {chat.fake.url}" in out
    assert "Next auth profile: anthropic:default" in out
    assert "1. anthropic:default api_key static" in out and "2. anthropic:work" in out
    assert say(chat, "s1") == out  # no command: /model status


def test_set_model_by_alias_and_id(chat):
    assert "Model set to openai/gpt-5 (gpt) for session s1." in say(chat, "s1", "/model", "gpt")
    assert "Next auth profile: openai:default" in say(chat, "s1", "/model", "status")
    assert "Model set to anthropic/claude-opus-4-5 for session s1." in say(chat, "s1", "/model", "anthropic/claude-opus-4-5")


def test_pin_and_refusals(chat):
    out = say(chat, "s1", "/model", "opus@work")
    assert "Auth profile: anthropic:work (pinned)." in out
    assert "Next auth profile: anthropic:work" in say(chat, "s1", "/model", "status")
    assert say(chat, "s1", "/model", "@work", code=1) == "Error: Auth profile override requires a model selection.\n"
    assert say(chat, "s1", "/model", "opus@ghost", code=1) == 'Error: Auth profile "anthropic:ghost" not found.\n'
    assert say(chat, "s1", "/model", "opus@openai:default", code=1) == \
        'Error: Auth profile "openai:default" is for openai, not anthropic.\n'
    assert "Unknown model" in say(chat, "s1", "/model", "nosuch", code=1)
    assert "unknown command" in say(chat, "s1", "/frobnicate", code=1)
    assert "Auth pin: anthropic:work" in say(chat, "s1", "/model", "status")  # refusals changed nothing


def test_new_and_reset_keep_pins_and_clear_auto(chat, mount):
    say(chat, "s1", "/model", "opus@work")
    say(chat, "s2", "/model", "opus")
    m = mount()
    assert (m / f"{P}/sessions/s2/token").read_text() == KEYS["default"] + "\n"
    assert "Auto-selected: anthropic:default" in say(chat, "s2")
    for cmd in ("/new", "/reset"):
        assert "the pin anthropic:work stays" in say(chat, "s1", cmd)
        assert "Auth pin: anthropic:work" in say(chat, "s1")
    say(chat, "s2", "/new")
    assert "Auto-selected: none" in say(chat, "s2")


def test_failure_report_moves_session_token_and_back_after_cooldown(chat, mount, tmp_path):
    clock = tmp_path / "clock"
    clock.write_text(str(int(time.time() * 1000)))
    chat.env["NOVA_ENGINE_NOW_FILE"] = str(clock)
    say(chat, "s1", "/model", "opus")
    m = mount()
    tok = m / f"{P}/sessions/s1/token"
    first = tok.read_text().strip()
    assert first == KEYS["default"]
    # the script reports how it went, on the profile it got
    (m / f"{P}/profiles/anthropic/default/health").write_text("failure rate_limit\n")
    assert tok.read_text().strip() == KEYS["work"]
    view = (m / f"{P}/sessions/s1/model").read_text()
    assert "anthropic:default api_key static cooldown 1m" in view
    assert view == say(chat, "s1", "/model", "status")  # the mount and the CLI agree
    clock.write_text(str(int(clock.read_text()) + 61 * 1000))
    (m / f"{P}/profiles/anthropic/work/health").write_text("good\n")
    assert tok.read_text().strip() in (KEYS["work"], KEYS["default"])  # sticky while the auto choice works
    say(chat, "s1", "/new")
    assert tok.read_text().strip() == KEYS["default"]  # back to the first in order


def test_session_files_and_dirs(chat, mount):
    m = mount()
    assert "sessions" in os.listdir(m / P)
    os.mkdir(m / f"{P}/sessions/s9")
    assert "s9" in os.listdir(m / f"{P}/sessions")
    (m / f"{P}/sessions/s9/model").write_text("gpt\n")
    assert (m / f"{P}/sessions/s9/token").read_text() == KEYS["oa"] + "\n"
    r = subprocess.run(["bash", "-c", f"echo '/model @work' > {m / P}/sessions/s9/model"], capture_output=True, text=True)
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    os.rmdir(m / f"{P}/sessions/s9")
    assert "s9" not in os.listdir(m / f"{P}/sessions")


@pytest.mark.parametrize("line", ["nosuch", "/model opus@ghost", "opus@openai:default"])
def test_a_model_or_pin_that_does_not_resolve_fails_the_write(chat, mount, line):
    """docs: a refused line fails the write() with EINVAL, so the shell
    says so (bash ignores close errors: these exited 0 before)."""
    m = mount()
    os.mkdir(m / f"{P}/sessions/s8")
    (m / f"{P}/sessions/s8/model").write_text("gpt\n")
    r = subprocess.run(["bash", "-c", f"echo '{line}' > {m / P}/sessions/s8/model"], capture_output=True, text=True)
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert (m / f"{P}/sessions/s8/token").read_text() == KEYS["oa"] + "\n"  # still gpt


def test_a_key_written_to_the_wrong_file_is_not_logged(chat, mount):
    """The log names profiles and errors, never secrets: a key written to
    order, health or a session's model was quoted whole in the refusal."""
    m = mount()
    key = "sk-test-WRONGFILE-0123456789abcdefghijklmnop"
    os.mkdir(m / f"{P}/sessions/s7")
    for rel in ("profiles/anthropic/order", "profiles/anthropic/work/health", "sessions/s7/model"):
        r = subprocess.run(["bash", "-c", f"echo {key} > {m / P}/{rel}"], capture_output=True, text=True)
        assert r.returncode == 1 and "Invalid argument" in r.stderr, rel
    r = subprocess.run(["bash", "-c", f"echo ghost > {m / P}/profiles/anthropic/order"], capture_output=True, text=True)
    assert r.returncode == 1
    log = m.log.read_text()
    assert key not in log and key[8:24] not in log
    assert log.count(" characters, not shown)") == 3 and '"anthropic:ghost" not found' in log
