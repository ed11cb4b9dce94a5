"""models auth login: PKCE against the fake provider, with the code from
the loopback callback or pasted on stdin."""
import base64
import json
import os
import select
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import BIN

TOKENS = {"access_token": "acc-test-login-0123456789", "refresh_token": "ref-test-login-0123456789",
          "expires_in": 3600, "account": {"email_address": "me@example.com"}}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def login(state, fake):
    port = free_port()
    state.write_config({"models": {"providers": {p: {"oauth": {
        "authorizeUrl": fake.url + "/authorize", "redirectUri": f"http://127.0.0.1:{port}/callback",
        "tokenUrl": fake.url + "/v1/oauth/token"}} for p in ("anthropic", "openai-codex")}}})

    def start(*args, provider="anthropic"):
        p = subprocess.Popen([BIN, "models", "auth", "login", "--provider", provider, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=state.env)
        url = None
        while url is None:
            line = p.stderr.readline().decode()
            assert line, "login ended before printing the URL"
            if line.startswith("  http"):
                url = line.strip()
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))
        return p, q, port
    return start


def test_authorize_url_has_pkce(login, fake):
    p, q, _ = login()
    p.kill()
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["response_type"] == "code" and q["state"] and q["client_id"]
    assert q["code"] == "true"  # Anthropic shows the code to paste


def test_pasted_code_and_state(login, fake, state):
    p, q, _ = login()
    fake.add_code("code-test-1", TOKENS, q["code_challenge"])
    out, err = p.communicate(f"code-test-1#{q['state']}\n".encode(), timeout=20)
    assert p.returncode == 0, err
    assert b"Auth profile: anthropic:me@example.com (anthropic/oauth)" in out
    cred = json.loads(state.run("store", "export").out)["profiles"]["anthropic:me@example.com"]
    assert cred["type"] == "oauth" and cred["refresh"] == "ref-test-login-0123456789"
    assert b"acc-test-login" not in out + err


def test_loopback_callback(login, fake, state):
    p, q, port = login("--profile-id", "work")
    fake.add_code("code-test-2", TOKENS, q["code_challenge"])
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/callback?code=code-test-2&state={q['state']}", timeout=10).read()
    assert b"Signed in" in page
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    assert b"Auth profile: anthropic:work (anthropic/oauth)" in out
    assert state.run("models", "auth", "token", "anthropic:work").out == "acc-test-login-0123456789\n"


def test_stdin_closed_says_it_waits_for_the_browser_only(login, fake, state):
    p, q, port = login()
    p.stdin.close()  # nothing will be pasted: a script, or < /dev/null
    said, deadline = b"", time.time() + 10
    while b"stdin closed" not in said:  # it used to go on showing the paste prompt, silent
        ready, _, _ = select.select([p.stderr], [], [], max(0, deadline - time.time()))
        assert ready, "login did not say what it waits for"
        chunk = os.read(p.stderr.fileno(), 4096)
        assert chunk, "login ended without saying what it waits for"
        said += chunk
    assert b"waiting for the browser only" in said
    fake.add_code("code-test-3", TOKENS, q["code_challenge"])
    urllib.request.urlopen(f"http://127.0.0.1:{port}/callback?code=code-test-3&state={q['state']}", timeout=10).read()
    assert p.wait(timeout=20) == 0, p.stderr.read()
    assert b"Auth profile: anthropic:me@example.com" in p.stdout.read()


def test_callback_page_shows_the_provider_error_as_text(login, fake, state):
    p, q, port = login()
    bad = urllib.parse.quote("<script>alert(1)</script>")
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/callback?error={bad}", timeout=10)
        page = b""
    except urllib.error.HTTPError as e:
        page = e.read()
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page and b"<script>" not in page
    p.communicate(timeout=20)
    assert p.returncode == 1


def test_pasted_redirect_url_with_wrong_state_refused(login, fake, state):
    p, q, port = login()
    fake.add_code("code-test-3", TOKENS, q["code_challenge"])
    out, err = p.communicate(f"http://127.0.0.1:{port}/callback?code=code-test-3&state=forged\n".encode(), timeout=20)
    assert p.returncode == 1 and b"state does not match" in err
    assert "anthropic:" not in state.run("models", "auth", "list").out


def test_wrong_verifier_refused(login, fake, state):
    p, q, _ = login()
    fake.add_code("code-test-4", TOKENS, "not-the-challenge")
    out, err = p.communicate(f"code-test-4#{q['state']}\n".encode(), timeout=20)
    assert p.returncode == 1 and b"refused the code" in err


def test_openai_codex_email_from_id_token(login, fake, state):
    p, q, _ = login(provider="openai-codex")
    assert "code" not in q
    claims = base64.urlsafe_b64encode(json.dumps({"email": "dev@example.com"}).encode()).rstrip(b"=").decode()
    tokens = {"access_token": "acc-test-codex-0123456789", "refresh_token": "ref-test-codex-0123456789",
              "expires_in": 3600, "id_token": f"e30.{claims}.sig"}
    fake.add_code("code-test-5", tokens, q["code_challenge"])
    out, err = p.communicate(f"http://localhost/cb?code=code-test-5&state={q['state']}\n".encode(), timeout=20)
    assert p.returncode == 0, err
    assert b"openai-codex:dev@example.com" in out


def test_login_needs_a_known_endpoint(state):
    p = state.run("models", "auth", "login", "--provider", "groq")
    assert p.returncode == 1 and "no OAuth login known for groq" in p.err
