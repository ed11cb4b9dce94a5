"""A fake model provider on 127.0.0.1 for the tests: the probe endpoints
of Anthropic, OpenAI-compatible providers, OpenRouter and Google, and OAuth
token endpoints with rotating single-use refresh tokens.

Faults are chosen by the credential itself, so one run can hold many: a
secret containing "-f401-" gets a 401, "-f403-", "-f402-", "-f429-" (with
retry-after: 30), "-f529-", "-f500-", "-f418-", "-quota-" (429 insufficient_quota),
"-restricted-" (Anthropic's Claude Code-only 400), "-esc-" (401 whose
message is terminal escape sequences), "-badgoogle-" (Gemini
400 API_KEY_INVALID), "-hang-" (no answer for 30 s), "-drop-" (connection
closed), "-slow300-" (answers after 300 ms), "-garbage-" (not JSON),
"-huge-" (a 10 MiB body). Anything else answers 200. It counts every
request by path and secret so tests can assert on upstream traffic."""
import base64
import hashlib
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# A hostile message: retitles the terminal, clears it, then a C1 CSI.
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\u009b31m"
RESTRICTED = "This credential is only authorized for use with Claude Code and cannot be used for other API requests."


class Fake:
    def __init__(self):
        self.counts = Counter()
        self.lock = threading.Lock()
        self.refresh = {}          # refresh token -> (access, seconds)
        self.refresh_calls = 0
        self.refresh_delay = 0.0
        self.codes = {}            # authorization code -> tokens
        self.extra = {}            # secret -> fault words added at run time
        self.notes = []            # bodies posted to /ntfy/<topic>
        self.seq = 0
        ThreadingHTTPServer.request_queue_size = 256  # many probes connect at once
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self, key):
        with self.lock:
            return self.counts[key]

    def add_refresh_token(self, refresh, access_prefix="acc-test", expires_in=3600):
        with self.lock:
            self.refresh[refresh] = (access_prefix, expires_in)

    def add_code(self, code, tokens, challenge=None):
        """An authorization code the token endpoint will take once, with
        the PKCE verifier whose SHA-256 is challenge."""
        with self.lock:
            self.codes[code] = (tokens, challenge)

    def _handler(fake):
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body, headers=()):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def secret(self):
                h = self.headers
                auth = h.get("Authorization", "")
                if auth.startswith("Bearer "):
                    return auth[7:]
                return h.get("x-api-key") or h.get("x-goog-api-key") or ""

            def fault(self, s):
                s = s + fake.extra.get(s, "")
                if "-hang-" in s:
                    time.sleep(30)
                    return True
                if "-drop-" in s:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return True
                if "-slow300-" in s:
                    time.sleep(0.3)
                if "-redirect-" in s:  # a client that follows would send the secret to /stolen
                    self.send(302, {}, [("Location", "/stolen")])
                    return True
                table = {
                    "-f401-": (401, {"error": {"type": "authentication_error", "message": f"invalid x-api-key {s}"}}),
                    "-f403-": (403, {"error": {"type": "permission_error", "message": "not allowed for this organization"}}),
                    "-f402-": (402, {"error": {"message": "payment required"}}),
                    "-quota-": (429, {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}),
                    "-f529-": (529, {"error": {"type": "overloaded_error", "message": "Overloaded"}}),
                    "-f500-": (500, {"error": {"message": "internal error"}}),
                    "-f418-": (418, {"error": {"message": "I'm a teapot"}}),
                    "-esc-": (401, {"error": {"message": ESCAPES}}),
                    "-restricted-": (400, {"type": "error", "error": {"type": "invalid_request_error", "message": RESTRICTED}}),
                    "-badgoogle-": (400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                                    "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}}),
                }
                if "-f429-" in s:
                    self.send(429, {"error": {"type": "rate_limit_error", "message": "rate limited"}},
                              [("retry-after", "30"), ("anthropic-ratelimit-requests-remaining", "0"),
                               ("x-ratelimit-reset-requests", "30s")])
                    return True
                for k, (code, body) in table.items():
                    if k in s:
                        self.send(code, body)
                        return True
                if "-garbage-" in s:
                    self.send(200, b"<html>not json")
                    return True
                if "-huge-" in s:
                    self.send(500, b"x" * (10 << 20))
                    return True
                return False

            def do_GET(self):
                path = urlparse(self.path).path
                s = self.secret()
                with fake.lock:
                    fake.counts[path] += 1
                    fake.counts[("secret", s)] += 1
                if not s:
                    return self.send(401, {"error": {"message": "missing credentials"}})
                if self.fault(s):
                    return
                if path == "/api/v1/key":
                    return self.send(200, {"data": {"label": "test", "usage": 1.5, "limit": 10, "limit_remaining": 8.5}})
                if path in ("/v1/models", "/v1beta/models"):
                    return self.send(200, {"data": [{"id": "model-1"}], "models": [{"name": "models/x"}]},
                                     [("anthropic-ratelimit-requests-remaining", "99")])
                self.send(404, {"error": {"message": "no such path"}})

            def do_POST(self):
                path = urlparse(self.path).path
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n).decode()
                if urlparse(self.path).path.startswith("/ntfy/"):
                    body = {}
                elif self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                with fake.lock:
                    fake.counts[path] += 1
                if path == "/v1/oauth/moved":  # followed, the refresh token would reach /stolen
                    return self.send(307, {}, [("Location", "/stolen")])
                if path == "/v1/oauth/busy":  # a token endpoint that rate-limits and says when to come back
                    return self.send(429, {"error": "rate_limited"}, [("Retry-After", "120")])
                if path.startswith("/ntfy/"):
                    with fake.lock:
                        fake.notes.append((path, self.headers.get("Title", ""), raw))
                    return self.send(200, {"id": "note"})
                if body.get("grant_type") == "refresh_token":
                    return self.refresh_grant(body)
                if body.get("grant_type") == "authorization_code":
                    with fake.lock:
                        tokens, challenge = fake.codes.pop(body.get("code"), (None, None))
                    verifier = body.get("code_verifier", "")
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    if not tokens or not verifier or (challenge and digest != challenge):
                        return self.send(400, {"error": "invalid_grant"})
                    return self.send(200, tokens)
                self.send(400, {"error": "unsupported_grant_type"})

            def refresh_grant(self, body):
                if fake.refresh_delay:
                    time.sleep(fake.refresh_delay)
                with fake.lock:
                    fake.refresh_calls += 1
                    old = body.get("refresh_token")
                    if old not in fake.refresh:
                        return self.send(400, {"error": "invalid_grant", "error_description": "refresh token revoked"})
                    prefix, ttl = fake.refresh.pop(old)
                    fake.seq += 1
                    new_refresh = f"ref-test-rotated-{fake.seq:04d}-padding"
                    access = f"{prefix}-{fake.seq:04d}-padding"
                    fake.refresh[new_refresh] = (prefix, ttl)
                self.send(200, {"access_token": access, "refresh_token": new_refresh, "expires_in": ttl,
                                "token_type": "Bearer"})
        return H
