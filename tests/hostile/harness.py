"""Drives the real Contact Vault binaries for the hardening scripts.

A Vault is one data directory made by `contact-vault init` (and dev-cert),
with its own config (port 0, 127.0.0.1 only) and an optional copy of the
policy whose quotas are raised so that load tests do not trip them. It
starts, stops and SIGKILLs contact-vault-server, reading the port from the
"listening on https://127.0.0.1:PORT" line. Api speaks HTTPS to it,
trusting only the vault's own development certificate.

Only the Python standard library; nothing here listens on anything but
127.0.0.1, and every loop is bounded.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LISTENING = re.compile(r"listening on https://127\.0\.0\.1:([0-9]+)")
METRICS = re.compile(r"metrics on http://127\.0\.0\.1:([0-9]+)/metrics")


class Failure(Exception):
    """A broken property: the message says what and where."""


def raised_quota_policy(path):
    """Writes the shipped policy with every non-zero per-principal limit
    raised to the maximum the parser accepts (1,000,000)."""
    with open(os.path.join(SOURCE_DIR, "config", "policy.toml")) as f:
        text = f.read()
    text = re.sub(r"^(reveal_quota_per_hour|lookups_per_minute) = [1-9][0-9]*$",
                  r"\1 = 1000000", text, flags=re.M)
    with open(path, "w") as f:
        f.write(text)


class Api:
    """One keep-alive HTTPS connection to the server. Not thread-safe: one
    per thread."""

    def __init__(self, port, ca_file, timeout=20.0):
        self.port = port
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=ca_file)
        self.ctx.check_hostname = False  # the dev certificate names localhost
        self.conn = None
        self.last_used = 0.0

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, token=None, headers=None, raw=None,
                content_type="application/json"):
        """Returns (status, headers dict lower-cased, parsed JSON or text).
        Raises OSError / http.client errors when the server is not there."""
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            hdrs.setdefault("Content-Type", content_type)
        # The server closes keep-alive connections idle for 5 s: do not race it.
        if self.conn is not None and time.monotonic() - self.last_used > 3.0:
            self.close()
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                                        timeout=self.timeout,
                                                        context=self.ctx)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                text = resp.read()
                out_headers = {k.lower(): v for k, v in resp.getheaders()}
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError, http.client.CannotSendRequest, ssl.SSLEOFError):
                # A keep-alive connection the server closed: one fresh try.
                self.close()
                if attempt == 1:
                    raise
        self.last_used = time.monotonic()
        parsed = text.decode("utf-8", "replace")
        if text and out_headers.get("content-type", "").split(";")[0].endswith("json"):
            try:
                parsed = json.loads(text)
            except ValueError:
                pass
        return resp.status, out_headers, parsed


class Vault:
    """A data directory and the server process serving it."""

    def __init__(self, build_dir, work_dir, raise_quotas=True, extra_config=""):
        self.build_dir = os.path.abspath(build_dir)
        self.cli = os.path.join(self.build_dir, "contact-vault")
        self.server_bin = os.path.join(self.build_dir, "contact-vault-server")
        for b in (self.cli, self.server_bin):
            if not os.access(b, os.X_OK):
                raise Failure(f"{b} is not built")
        self.work_dir = os.path.abspath(work_dir)
        self.data_dir = os.path.join(self.work_dir, "data")
        self.config = os.path.join(self.work_dir, "vault.toml")
        self.policy = os.path.join(self.work_dir, "policy.toml")
        self.log_path = os.path.join(self.work_dir, "server.log")
        self.ca_file = os.path.join(self.data_dir, "tls", "cert.pem")
        self.db_path = os.path.join(self.data_dir, "vault.db")
        self.proc = None
        self.port = None
        self.metrics_port = None
        self.starts = 0
        self.admin_token = None
        os.makedirs(self.work_dir, exist_ok=True)
        if raise_quotas:
            raised_quota_policy(self.policy)
        else:
            shutil.copy(os.path.join(SOURCE_DIR, "config", "policy.toml"), self.policy)
        self.extra_config = extra_config

    # --- the CLI ---
    def run_cli(self, *args, check=True, timeout=120):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACT_VAULT_")}
        r = subprocess.run([self.cli, *args], capture_output=True, text=True,
                           timeout=timeout, env=env, cwd=self.work_dir)
        if check and r.returncode != 0:
            raise Failure(f"contact-vault {' '.join(args)} exited {r.returncode}: "
                          f"{r.stdout}{r.stderr}")
        return r

    def init(self):
        r = self.run_cli("init", "--data-dir", self.data_dir, "--policy", self.policy)
        m = re.search(r"admin API token[^\n]*\n\s*(\S+)", r.stdout)
        if not m:
            raise Failure("no admin token in the output of init: " + r.stdout)
        self.admin_token = m.group(1)
        self.run_cli("dev-cert", "--data-dir", self.data_dir)
        self.write_config()

    def write_config(self, port=0):
        with open(self.config, "w") as f:
            f.write(f"""[server]
listen = "127.0.0.1"
port = {port}
threads = 16
[metrics]
listen = "127.0.0.1:0"
[storage]
data_dir = "{self.data_dir}"
[policy]
file = "{self.policy}"
[log]
level = "info"
{self.extra_config}""")

    def audit_verify(self):
        """`contact-vault audit verify --local`: (ok, output)."""
        r = self.run_cli("audit", "verify", "--local", "--data-dir", self.data_dir,
                         "--policy", self.policy, check=False)
        return r.returncode == 0 and "chain intact" in r.stdout, (r.stdout + r.stderr).strip()

    def integrity_check(self):
        """`PRAGMA integrity_check` through the sqlite3 CLI: (ok, output)."""
        r = subprocess.run(["sqlite3", self.db_path, "PRAGMA integrity_check;"],
                           capture_output=True, text=True, timeout=120)
        out = (r.stdout + r.stderr).strip()
        return r.returncode == 0 and out == "ok", out

    def sql(self, query):
        r = subprocess.run(["sqlite3", self.db_path, query], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise Failure(f"sqlite3 {query!r}: {r.stderr.strip()}")
        return r.stdout.strip()

    # --- the server ---
    def start(self, timeout=60.0):
        if self.proc is not None:
            raise Failure("server already running")
        if os.path.exists(self.log_path):
            os.replace(self.log_path, self.log_path + ".prev")
        log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACT_VAULT_")}
        self.proc = subprocess.Popen([self.server_bin, "--config", self.config],
                                     stdout=log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.work_dir)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            m = LISTENING.search(text)
            if m:
                self.port = int(m.group(1))
                mm = METRICS.search(text)
                self.metrics_port = int(mm.group(1)) if mm else None
                self.wait_ready(deadline)
                return self.port
            if self.proc.poll() is not None:
                self.proc = None
                raise Failure(f"server exited at start (start #{self.starts}): {text.strip()}")
            time.sleep(0.02)
        self.kill()
        raise Failure(f"server did not listen within {timeout}s: {self.log_text()[-2000:]}")

    def start_and_kill_early(self, delay):
        """Starts the server and SIGKILLs it `delay` seconds later, whatever
        it is doing then (opening the vault, migrating, resuming a job)."""
        if self.proc is not None:
            raise Failure("server already running")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACT_VAULT_")}
        with open(self.log_path + ".early", "wb") as log:
            proc = subprocess.Popen([self.server_bin, "--config", self.config], stdout=log,
                                    stderr=subprocess.STDOUT, env=env, cwd=self.work_dir)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def wait_ready(self, deadline):
        api = self.api(timeout=5)
        try:
            while time.monotonic() < deadline:
                try:
                    status, _, _ = api.request("GET", "/healthz")
                    if status == 200:
                        return
                except (OSError, http.client.HTTPException):
                    api.close()
                time.sleep(0.02)
        finally:
            api.close()
        raise Failure("server listens but /healthz does not answer 200")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def rss_kib(self):
        """The server's resident set (VmRSS of /proc/PID/status), in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failure("no VmRSS in /proc/PID/status")

    def metrics(self):
        """GET /metrics from the metrics listener: (status, text)."""
        if self.metrics_port is None:
            raise Failure("the server logged no metrics listener")
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: no chance to flush or clean up."""
        if self.proc is None:
            return
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self, timeout=20.0):
        """SIGTERM and wait; SIGKILL if it does not stop. Returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("server ignored SIGTERM")
        self.proc = None
        return code

    def api(self, timeout=20.0):
        return Api(self.port, self.ca_file, timeout=timeout)

    # --- principals, through the admin API ---
    def add_employee(self, api, username, role, password=None):
        password = password or ("pw-" + os.urandom(12).hex())
        status, _, body = api.request("POST", "/v1/admin/employees",
                                      {"username": username, "roles": [role],
                                       "password": password}, token=self.admin_token)
        if status != 201:
            raise Failure(f"create employee {username}: {status} {body}")
        return password

    def token_for(self, api, kind, name):
        status, _, body = api.request("POST", "/v1/admin/tokens",
                                      {"kind": kind, "name": name}, token=self.admin_token)
        if status != 201:
            raise Failure(f"token for {kind} {name}: {status} {body}")
        return body["token"], body["id"]

    def add_service_account(self, api, name, role="pos"):
        status, _, body = api.request("POST", "/v1/admin/service-accounts",
                                      {"name": name, "roles": [role]}, token=self.admin_token)
        if status != 201:
            raise Failure(f"create service account {name}: {status} {body}")


def vault_check(build_dir, data_dir, expected_lines=()):
    """Runs vault_check; returns (exit code, parsed JSON or None, stderr)."""
    binary = os.path.join(os.path.abspath(build_dir), "vault_check")
    if not os.access(binary, os.X_OK):
        raise Failure(f"{binary} is not built")
    r = subprocess.run([binary, "--data-dir", data_dir, "--expect-stdin"],
                       input="".join(l + "\n" for l in expected_lines), capture_output=True,
                       text=True, timeout=600)
    try:
        out = json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        out = None
    return r.returncode, out, r.stderr.strip()


def free_port_closed(port):
    """True when nothing accepts connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0
