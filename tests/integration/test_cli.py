"""The nova-engine command through the built binary (SPEC 10)."""
import json
import os
import time

from conftest import SETUP_TOKEN, run_pty

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvw"
HOUR_MS = 3600 * 1000


def test_fresh_state_says_no_credentials(state):
    p = state.run("models", "status")
    assert p.returncode == 0
    assert "No credentials found" in p.out
    assert not state.dir.exists() or not state.store().exists()


def test_paste_token_then_status_shows_masked(state):
    p = state.run("models", "auth", "paste-token", "--provider", "anthropic", input=SETUP_TOKEN + "\n")
    assert p.returncode == 0, p.err
    assert f"Updated {state.config}" in p.out
    assert "Auth profile: anthropic:default (anthropic/token)" in p.out
    s = state.run("models", "status")
    masked = SETUP_TOKEN[:8] + "..." + SETUP_TOKEN[-8:]
    assert masked in s.out
    assert SETUP_TOKEN not in s.out + s.err
    assert "effective=profile:anthropic:default" in s.out
    cfg = json.loads(state.config.read_text())
    assert cfg["auth"]["profiles"]["anthropic:default"] == {"provider": "anthropic", "mode": "token"}


def test_store_is_sealed_and_private(state):
    state.paste("openai", KEY)
    raw = state.store().read_bytes()
    assert KEY.encode() not in raw
    env = json.loads(raw)
    assert env["cipher"] == "xchacha20poly1305-ietf"
    assert oct(state.store().stat().st_mode & 0o777) == "0o600"
    assert oct((state.dir / "store.key").stat().st_mode & 0o777) == "0o600"
    assert oct(state.dir.stat().st_mode & 0o777) == "0o700"


def test_token_prints_secret_for_scripts(state):
    state.paste("openai", KEY)
    p = state.run("models", "auth", "token", "--provider", "openai")
    assert (p.returncode, p.out) == (0, KEY + "\n")
    p = state.run("models", "auth", "token", "openai:default")
    assert p.out == KEY + "\n"
    p = state.run("models", "auth", "token", "--provider", "groq")
    assert p.returncode == 1
    assert p.err.startswith("Error: no usable groq credential")


def test_env_credential_used_when_nothing_stored(state):
    p = state.run("models", "auth", "token", "--provider", "openrouter", env={"OPENROUTER_API_KEY": "sk-or-test-env"})
    assert p.out == "sk-or-test-env\n"
    (state.dir).mkdir(mode=0o700, exist_ok=True)
    (state.dir / ".env").write_text("OPENROUTER_API_KEY=sk-or-from-dotenv\n")
    assert state.run("models", "auth", "token", "--provider", "openrouter").out == "sk-or-from-dotenv\n"
    p = state.run("models", "auth", "token", "--provider", "openrouter", env={"OPENROUTER_API_KEY": "sk-or-process"})
    assert p.out == "sk-or-process\n"


def test_order_set_get_clear(state):
    state.paste("anthropic", KEY, "--profile-id", "a")
    state.paste("anthropic", KEY + "b", "--profile-id", "anthropic:b")
    state.paste("openai", KEY)
    p = state.run("models", "auth", "order", "set", "--provider", "anthropic", "b", "anthropic:a", "b")
    assert p.returncode == 0, p.err
    assert "Order override: anthropic:b, anthropic:a" in p.out
    g = state.run("models", "auth", "order", "get", "--provider", "anthropic")
    assert "Agent: main" in g.out and "Provider: anthropic" in g.out
    assert f"Auth store: {state.store()}" in g.out
    assert "Order override: anthropic:b, anthropic:a" in g.out
    j = json.loads(state.run("models", "auth", "order", "get", "--provider", "anthropic", "--json").out)
    assert j["order"] == ["anthropic:b", "anthropic:a"]
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == KEY + "b\n"
    c = state.run("models", "auth", "order", "clear", "--provider", "anthropic")
    assert c.out.strip() == "Cleared per-agent order override."
    assert "Order override: (none)" in state.run("models", "auth", "order", "get", "--provider", "anthropic").out


def test_order_set_refuses_missing_and_foreign_ids(state):
    state.paste("anthropic", KEY, "--profile-id", "a")
    state.paste("openai", KEY)
    before = state.store().read_bytes()
    p = state.run("models", "auth", "order", "set", "--provider", "anthropic", "x")
    assert p.returncode == 1
    assert p.err == 'Error: Auth profile "anthropic:x" not found\n'
    p = state.run("models", "auth", "order", "set", "--provider", "anthropic", "openai:default")
    assert p.err == 'Error: Auth profile "openai:default" is for openai, not anthropic\n'
    assert state.store().read_bytes() == before


def expiring_token(state, expires_in):
    p = state.run("models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", expires_in,
                  input=SETUP_TOKEN)
    assert p.returncode == 0, p.err


def test_check_exit_codes(state):
    state.paste("openai", KEY)
    assert state.run("models", "status", "--check").returncode == 0
    expiring_token(state, "3h")
    r = state.run("models", "status", "--check")
    assert r.returncode == 2
    assert "anthropic:default token expiring 3h" in r.out
    now = int(time.time() * 1000)
    later = str(now + 4 * HOUR_MS)
    r = state.run("models", "status", "--check", env={"NOVA_ENGINE_NOW_MS": later})
    assert r.returncode == 1
    assert "expired" in r.out


def test_check_fails_for_provider_in_use_without_credential(state):
    state.write_config({"models": {"default": "anthropic/claude-opus-4-5", "fallbacks": ["openrouter/x/y"]}})
    state.paste("anthropic", KEY)
    r = state.run("models", "status", "--check")
    assert r.returncode == 1
    assert "Missing auth" in r.out
    assert "- openrouter (used by fallback): run `nova-engine models auth paste-api-key --provider openrouter`" in r.out
    j = json.loads(state.run("models", "status", "--json").out)
    assert j["auth"]["missing"][0]["provider"] == "openrouter"
    assert j["check"] == 1
    assert state.run("models", "status", "--plain").out == "anthropic/claude-opus-4-5\n"


def test_status_json_matches_text(state):
    state.paste("openai", KEY)
    j = json.loads(state.run("models", "status", "--json").out)
    prov = {p["provider"]: p for p in j["auth"]["providers"]}
    assert prov["openai"]["effective"] == "profile:openai:default"
    assert prov["openai"]["profiles"][0]["secret"] == KEY[:4] + "..." + KEY[-4:]
    assert KEY not in json.dumps(j)


def test_piped_stdin_without_newline(state):
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", input=KEY)
    assert p.returncode == 0
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "\n"


def test_paste_on_a_pty_does_not_echo(state):
    code, shown = run_pty(state, ["models", "auth", "paste-api-key", "--provider", "openai"],
                          [("(input hidden)", KEY + "\n")])
    assert code == 0, shown
    assert KEY not in shown
    assert "Auth profile: openai:default (openai/api_key)" in shown


def test_setup_token_requires_tty(state):
    p = state.run("models", "auth", "setup-token", "--provider", "anthropic", input=SETUP_TOKEN)
    assert p.returncode == 1
    assert p.err == "Error: setup-token requires an interactive TTY.\n"


def test_setup_token_messages_on_a_pty(state):
    args = ["models", "auth", "setup-token", "--provider", "anthropic"]
    code, shown = run_pty(state, args, [("[y/N]", "y\n"), ("setup-token (input hidden)", "sk-ant-api03-" + "x" * 80 + "\n")])
    assert code == 1 and "Expected token starting with sk-ant-oat01-" in shown
    code, shown = run_pty(state, args + ["--yes"], [("(input hidden)", "sk-ant-oat01-short\n")])
    assert code == 1 and "Token looks too short; paste the full setup-token" in shown
    code, shown = run_pty(state, args, [("[y/N]", "n\n")])
    assert code == 1 and "claude setup-token" in shown
    code, shown = run_pty(state, ["models", "auth", "setup-token", "--provider", "openai", "--yes"], [])
    assert code == 1 and "only --provider anthropic" in shown
    assert not state.store().exists()
    code, shown = run_pty(state, args + ["--yes"], [("(input hidden)", "  " + SETUP_TOKEN + "  \n")])
    assert code == 0, shown
    assert SETUP_TOKEN not in shown
    assert "Auth profile: anthropic:default (anthropic/token)" in shown
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == SETUP_TOKEN + "\n"


def test_a_long_paste_on_a_pty_is_stored_whole_or_refused_never_cut(state):
    # the terminal's canonical mode cut a line at 4095 characters: a longer
    # token was stored cut short, and one over the limit was not refused
    args = ["models", "auth", "setup-token", "--provider", "anthropic", "--yes"]
    whole = "sk-ant-oat01-" + "w" * (8192 - 13)
    code, shown = run_pty(state, args, [("(input hidden)", whole + "\n")])
    assert code == 0, shown
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == whole + "\n"
    code, shown = run_pty(state, args, [("(input hidden)", whole + "v\n")])
    assert code == 1 and "token is too long (8193 bytes, at most 8192)" in shown
    assert "wwww" not in shown and "v" * 2 not in shown
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == whole + "\n"
    # erase still works as it did in canonical mode
    code, shown = run_pty(state, args, [("(input hidden)", SETUP_TOKEN + "Q\x7f\n")])
    assert code == 0, shown
    assert state.run("models", "auth", "token", "--provider", "anthropic").out == SETUP_TOKEN + "\n"


def test_auth_list_and_logout(state):
    state.paste("openai", KEY)
    state.paste("anthropic", KEY, "--profile-id", "w")
    lst = state.run("models", "auth", "list", "--provider", "openai")
    assert "openai:default" in lst.out and "anthropic:w" not in lst.out
    assert KEY not in lst.out
    rows = json.loads(state.run("models", "auth", "list", "--json").out)
    assert {r["id"] for r in rows} == {"openai:default", "anthropic:w"}
    p = state.run("models", "auth", "logout", "anthropic:w", "--yes")
    assert p.returncode == 0 and "Deleted auth profile anthropic:w." in p.out
    p = state.run("models", "auth", "logout", "anthropic:w", "--yes")
    assert p.returncode == 1 and p.err == 'Error: Auth profile "anthropic:w" not found\n'


def test_report_failure_moves_token_to_next(state):
    state.paste("openai", KEY + "1", "--profile-id", "one")
    state.paste("openai", KEY + "2", "--profile-id", "two")
    state.run("models", "auth", "order", "set", "--provider", "openai", "one", "two")
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "1\n"
    p = state.run("models", "auth", "report", "openai:one", "failure", "rate_limit")
    assert p.returncode == 0, p.err
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "2\n"
    later = str(int(time.time() * 1000) + 61 * 1000)
    assert state.run("models", "auth", "token", "--provider", "openai", env={"NOVA_ENGINE_NOW_MS": later}).out == KEY + "1\n"
    p = state.run("models", "auth", "report", "openai:one", "failure", "sleepy")
    assert p.returncode == 1 and "invalid report" in p.err


def test_agents_are_isolated(state):
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work"}]}})
    state.paste("openai", KEY)
    state.paste("openai", KEY + "w", "--agent", "work")
    assert state.run("models", "auth", "token", "--provider", "openai", "--agent", "work").out == KEY + "w\n"
    assert state.run("models", "auth", "token", "--provider", "openai").out == KEY + "\n"


def test_help_and_version(state):
    for cmd in (["models", "status"], ["models", "auth", "paste-token"], ["models", "auth", "order"], ["store"],
                ["mount"], ["umount"], ["models", "auth", "logout"], ["models", "auth", "token"]):
        p = state.run(*cmd, "--help")
        assert p.returncode == 0 and p.out.startswith("Usage: nova-engine " + " ".join(cmd)), cmd
        assert "--agent ID" in p.out
    p = state.run("--version")
    assert p.returncode == 0 and p.out.startswith("nova-engine ")
    p = state.run("frobnicate")
    assert p.returncode == 2 and p.err.startswith('Error: unknown command "frobnicate"')


def test_a_command_group_alone_lists_its_commands(state):
    p = state.run("models")
    assert p.returncode == 2 and p.err.startswith('Commands under "models":')
    assert "nova-engine models status" in p.err and "nova-engine models auth paste-token" in p.err
    p = state.run("models", "auth", "--help")
    assert p.returncode == 0 and "nova-engine models auth order" in p.out and "models status" not in p.out
    p = state.run("models", "frob")
    assert p.returncode == 2 and p.err.startswith('Error: unknown command "models frob"')
    assert "nova-engine models status" in p.err


def fake_shell(tmp_path, body):
    sh = tmp_path / "fake-login-shell"
    sh.write_text("#!/bin/sh\n" + body + "\n")
    sh.chmod(0o755)
    return str(sh)


def test_login_shell_env_imported_only_when_enabled(state, tmp_path):
    shell = fake_shell(tmp_path, "printf 'OPENAI_API_KEY=sk-test-from-shell\\0UNRELATED=nope\\0'")
    p = state.run("models", "auth", "token", "--provider", "openai", env={"SHELL": shell})
    assert p.returncode == 1  # off by default
    p = state.run("models", "auth", "token", "--provider", "openai", env={"SHELL": shell, "NOVA_ENGINE_LOAD_SHELL_ENV": "1"})
    assert p.out == "sk-test-from-shell\n"
    state.write_config({"env": {"shellEnv": {"enabled": True}}})
    p = state.run("models", "auth", "token", "--provider", "openai", env={"SHELL": shell})
    assert p.out == "sk-test-from-shell\n"
    assert "Shell env     : on" in state.run("models", "status", env={"SHELL": shell}).out


def test_slow_login_shell_is_bounded(state, tmp_path):
    shell = fake_shell(tmp_path, "sleep 5; printf 'OPENAI_API_KEY=sk-test-late\\0'")
    state.write_config({"env": {"shellEnv": {"enabled": True, "timeoutMs": 300}}})
    t = time.time()
    p = state.run("models", "auth", "token", "--provider", "openai", env={"SHELL": shell})
    assert time.time() - t < 3
    assert p.returncode == 1 and "sk-test-late" not in p.out


def test_agent_dir_overrides_and_config_path(state, tmp_path):
    work_dir = tmp_path / "srv-work"
    state.write_config({"agents": {"list": [{"id": "main"}, {"id": "work", "agentDir": str(work_dir)}]}})
    state.paste("openai", KEY, "--agent", "work")
    assert (work_dir / "auth-profiles.json").exists()
    env_dir = tmp_path / "main-dir"
    p = state.run("models", "auth", "paste-api-key", "--provider", "openai", input=KEY,
                  env={"NOVA_ENGINE_AGENT_DIR": str(env_dir)})
    assert p.returncode == 0 and (env_dir / "auth-profiles.json").exists()
    other_cfg = tmp_path / "elsewhere.json"
    other_cfg.write_text('{"models": {"default": "groq/llama"}}')
    p = state.run("models", "status", "--plain", env={"NOVA_ENGINE_CONFIG_PATH": str(other_cfg)})
    assert p.out == "groq/llama\n"


def test_paste_moves_the_id_to_the_front_of_config_order(state):
    state.write_config({"auth": {"order": {"anthropic": ["anthropic:a", "anthropic:b"]}}})
    state.paste("anthropic", KEY, "--profile-id", "b")
    cfg = json.loads(state.config.read_text())
    assert cfg["auth"]["order"]["anthropic"] == ["anthropic:b", "anthropic:a"]
    assert cfg["models"]["providers"]["openai"]["baseUrl"]  # unknown keys kept on rewrite


def test_ctrl_c_at_the_hidden_prompt_gives_the_terminal_back(state):
    # ^C killed the process with echo (and canonical mode) still off
    import pty
    import signal
    import termios
    from conftest import BIN
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(state.cwd)
        os.execve(BIN, [BIN, "models", "auth", "setup-token", "--provider", "anthropic", "--yes"], state.env)
    shown, deadline = b"", time.time() + 10
    while b"(input hidden)" not in shown and time.time() < deadline:
        shown += os.read(fd, 4096)
    os.write(fd, b"sk-ant-oat01-half\x03")
    _, status = os.waitpid(pid, 0)
    lflag = termios.tcgetattr(fd)[3]
    os.close(fd)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT
    assert lflag & termios.ECHO and lflag & termios.ICANON
    assert not state.store().exists()
