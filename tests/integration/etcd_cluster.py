"""A real three-member etcd cluster on loopback, for the tests of the etcd
backend (SPEC 14). Each member runs in its own process group so that stop()
kills it and anything it started, whatever happened in the test; an atexit
hook is the backstop for an interrupted run. Data lives on tmpfs when the
machine has one: etcd fsyncs every commit and a disk makes that slow."""
import atexit
import base64
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ETCD = shutil.which("etcd") or "/usr/bin/etcd"

_live = set()


def _cleanup_all():
    for c in list(_live):
        c.stop()


atexit.register(_cleanup_all)


def _on_term(signum, frame):
    # SIGTERM skips atexit: make it an exit that runs finally blocks and hooks
    raise SystemExit(128 + signum)


def _catch_sigterm():
    import threading
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_term)


def free_ports(n):
    """n distinct loopback ports the kernel says are free now (a race with
    another process is possible but rare; start() retries once)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


class Certs:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client
    certificate, made with the openssl command."""

    def __init__(self, d):
        d.mkdir(parents=True)
        self.ca, self.ca_key = str(d / "ca.pem"), str(d / "ca.key")
        self.server_cert, self.server_key = str(d / "server.pem"), str(d / "server.key")
        self.client_cert, self.client_key = str(d / "client.pem"), str(d / "client.key")
        ssl_ = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=nova-test-ca", "-keyout", self.ca_key, "-out", self.ca]
        subprocess.run(ssl_, check=True, capture_output=True)
        self._leaf(d, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        # no Common Name: etcd's JSON gateway refuses client certificates that
        # have one when authentication is on
        self._leaf(d, "client", "extendedKeyUsage=clientAuth", subject="/O=nova-test-client")
        self._leaf(d, "client-cn", "extendedKeyUsage=clientAuth", subject="/CN=nova")

    def _leaf(self, d, name, ext, subject=None):
        key, csr, cert = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem"
        subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", subject or f"/CN=nova-test-{name}", "-keyout", str(key), "-out", str(csr)],
                       check=True, capture_output=True)
        extfile = d / f"{name}.ext"
        extfile.write_text(ext + "\n")
        subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", self.ca, "-CAkey", self.ca_key,
                        "-CAcreateserial", "-days", "2", "-extfile", str(extfile), "-out", str(cert)],
                       check=True, capture_output=True)

    def context(self):
        import ssl
        c = ssl.create_default_context(cafile=self.ca)
        c.load_cert_chain(self.client_cert, self.client_key)
        return c


class Member:
    def __init__(self, cluster, index, client_port, peer_port):
        self.cluster = cluster
        self.name = f"m{index}"
        self.client_port = client_port
        self.peer_port = peer_port
        self.dir = cluster.dir / self.name
        self.log = cluster.dir / f"{self.name}.log"
        self.proc = None

    @property
    def url(self):
        return f"{self.cluster.scheme}://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self):
        return f"http://127.0.0.1:{self.peer_port}"

    def start(self, state="new"):
        args = [ETCD, "--name", self.name, "--data-dir", str(self.dir),
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
                "--initial-cluster", self.cluster.initial_cluster,
                "--initial-cluster-state", state, "--initial-cluster-token", self.cluster.token,
                # Fast elections: tests kill and restart members.
                "--heartbeat-interval", "50", "--election-timeout", "500",
                "--logger", "zap", "--log-level", "warn"]
        if self.cluster.tls:
            t = self.cluster.tls
            args += ["--cert-file", t.server_cert, "--key-file", t.server_key,
                     "--client-cert-auth", "--trusted-ca-file", t.ca]
        args += self.cluster.extra_args
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def kill(self):
        """SIGKILL the member (its whole process group), as a crash would."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def restart(self):
        """Start a killed member again on its own data dir (it rejoins)."""
        self.kill()
        self.start(state="existing")

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """Three members (by default) on free loopback ports in a temp dir."""

    def __init__(self, size=3, extra_args=(), tls=False):
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="nova-etcd-", dir=base))
        self.tls = Certs(self.dir / "tls") if tls else None
        self.scheme = "https" if tls else "http"
        self.token_header = None
        self.token = "nova-test-" + self.dir.name
        self.extra_args = list(extra_args)
        ports = free_ports(2 * size)
        self.members = [Member(self, i, ports[2 * i], ports[2 * i + 1]) for i in range(size)]
        self.initial_cluster = ",".join(f"{m.name}={m.peer_url}" for m in self.members)

    @property
    def endpoints(self):
        return [m.url for m in self.members]

    @property
    def endpoints_env(self):
        return ",".join(self.endpoints)

    def start(self, timeout=30):
        _catch_sigterm()
        _live.add(self)
        for m in self.members:
            m.start()
        self.wait_healthy(timeout)
        return self

    def stop(self):
        for m in self.members:
            m.kill()
        _live.discard(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self):
        out = []
        for m in self.members:
            try:
                out.append(f"--- {m.name}\n" + m.log.read_text()[-4000:])
            except OSError:
                pass
        return "\n".join(out)

    # --- talking to it over the JSON gateway (the tests' own view) ---

    def call(self, path, body, member=None, timeout=3):
        """POST body to path on one member (or the first running one)."""
        targets = [member] if member else [m for m in self.members if m.running]
        last = None
        for m in targets:
            headers = {"Content-Type": "application/json"}
            if self.token_header:
                headers["Authorization"] = self.token_header
            req = urllib.request.Request(m.url + path, data=json.dumps(body).encode(), headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=timeout, context=self.tls and self.tls.context()) as r:
                    return json.loads(r.read() or b"{}")
            except urllib.error.HTTPError:
                raise  # the member answered: an etcd error, not an outage
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                last = e
        raise ConnectionError(f"no etcd member answered {path}: {last}")

    def wait_healthy(self, timeout=30):
        """Until a write through every running member commits (quorum)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                for m in self.members:
                    if m.running:
                        self.call("/v3/kv/put", {"key": b64("/_health"), "value": b64("ok")}, member=m, timeout=1)
                return
            except (ConnectionError, urllib.error.HTTPError):
                time.sleep(0.1)
        raise AssertionError("etcd cluster not healthy in time\n" + self.logs())

    def put(self, key, value):
        return self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})

    def get(self, key):
        r = self.call("/v3/kv/range", {"key": b64(key)})
        kvs = r.get("kvs") or []
        return base64.b64decode(kvs[0]["value"]) if kvs and "value" in kvs[0] else None

    def keys(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        r = self.call("/v3/kv/range", {"key": b64(prefix), "range_end": b64(end), "keys_only": True})
        return sorted(base64.b64decode(kv["key"]).decode() for kv in r.get("kvs") or [])

    def delete_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return self.call("/v3/kv/deleterange", {"key": b64(prefix), "range_end": b64(end)})

    def revision(self):
        r = self.call("/v3/kv/range", {"key": b64("/_health")})
        return int(r["header"]["revision"])

    def compact(self, revision=None):
        """Compact the history up to revision (default: now), physically."""
        rev = revision or self.revision()
        self.call("/v3/kv/compaction", {"revision": str(rev), "physical": True}, timeout=10)
        return rev
