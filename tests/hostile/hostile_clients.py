#!/usr/bin/env python3
"""Hostile clients against the real server: every bad request gets a clear
refusal, the server stays up, other clients keep being served, and nothing
is stored.

Starts contact-vault-server on a fresh vault (127.0.0.1, port 0, the shipped
limits: 64 KiB bodies, JSON depth 16, 10 s read timeout, 16 threads), then
sends, over TLS unless said otherwise:
  headers over the limit, 1,000 headers, a 10 MB request line, 5 slow
  clients dripping a byte a second for 12 s, bodies larger and smaller than
  declared, a declared body of 10 GB, conflicting Content-Length and
  Transfer-Encoding, plain HTTP on the TLS port, invalid UTF-8 (body, member
  name, path), JSON nested 10,000 deep, duplicate members, CR/LF in values
  that could reach a header (Idempotency-Key, JSON values, the path), path
  traversal against the static files, a session cookie replayed after
  sign-out, a revoked token replayed, and a flood of sign-in attempts (the
  rate limit and lockout trip with a clear message).
Before those, the attacks of issue 15 (request smuggling with a hidden
DELETE of a canary customer, every framing in doubt, pipelining, six clients
sending 1.5 million headers, 64 bare TCP connections with 64 drip-feeders,
junk methods against the metrics, ANSI escapes towards the log): each is
refused and its connection closed where it must be, the canary survives,
the server's VmRSS grows by less than 1 MiB per hostile connection, and
/metrics parses with a bounded series count.
Meanwhile a well-behaved client searches and reads every 100 ms; it must
never fail nor wait more than 5 s. Customers (and idempotency rows) are
counted before and after: nothing may be stored.

  tests/hostile/hostile_clients.py [--build-dir build] [--keep]

Prints one line per case; exit 0 when all hold, 1 otherwise.
"""

import argparse
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Failure  # noqa: E402

PASSWD_MARK = b"root:x:0:0"


class Raw:
    """One raw TLS (or plain TCP) connection, for requests no HTTP library
    would send."""

    def __init__(self, port, ca_file, tls=True, timeout=15.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=ca_file)
            ctx.check_hostname = False
            self.sock = ctx.wrap_socket(self.sock)

    def send(self, data):
        """Sends all of data; False when the server closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            return False

    def response(self, limit=1 << 20):
        """Reads until the server closes or a full response arrived; returns
        (status or None, raw bytes)."""
        data = b""
        try:
            while len(data) < limit:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    length = None
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            length = int(v.strip())
                    if length is not None and len(body) >= length:
                        break
        except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            pass
        status = None
        if data.startswith(b"HTTP/1."):
            try:
                status = int(data.split(b" ", 2)[1])
            except (IndexError, ValueError):
                pass
        return status, data

    def closed_within(self, seconds):
        """True when the server ends the connection within `seconds` without
        sending anything more (the rest of the stream was not run)."""
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(65536) == b""
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Bystander(threading.Thread):
    """A well-behaved client served throughout: a search and a read every
    100 ms. Records failures and the slowest answer."""

    def __init__(self, vault, token, customer_id, email):
        super().__init__(daemon=True)
        self.vault, self.token, self.cid, self.email = vault, token, customer_id, email
        self.stop = threading.Event()
        self.failures = []
        self.slowest = 0.0
        self.requests = 0
        self.seconds = 0.0

    def run(self):
        api = self.vault.api(timeout=10)
        started = time.monotonic()
        while not self.stop.wait(0.1):
            for method, path, body in (("POST", "/v1/customers/search", {"email": self.email}),
                                       ("GET", f"/v1/customers/{self.cid}", None)):
                t0 = time.monotonic()
                try:
                    status, _, resp = api.request(method, path, body, token=self.token)
                except (OSError, harness.http.client.HTTPException) as e:
                    self.failures.append(f"{method} {path}: {e!r}")
                    api.close()
                    continue
                self.slowest = max(self.slowest, time.monotonic() - t0)
                self.requests += 1
                if status != 200:
                    self.failures.append(f"{method} {path}: {status} {resp}")
        self.seconds = time.monotonic() - started
        api.close()

    def served_throughout(self):
        # A round every 0.1 s when all is well; held up behind a slow client it
        # would wait for the server's 10 s read timeout. At least one round a
        # second, however fast or slow the machine.
        return (not self.failures and self.slowest < 8.0 and self.requests >= 2
                and self.requests >= 2 * int(self.seconds))


class Hostile:
    def __init__(self, vault):
        self.vault = vault
        self.results = []  # (case, result) for the summary table
        self.failed = []

    def raw(self, tls=True, timeout=15.0):
        return Raw(self.vault.port, self.vault.ca_file, tls=tls, timeout=timeout)

    def expect(self, case, ok, result):
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {case}: {result}", flush=True)
        self.results.append((case, result))
        if not ok:
            self.failed.append(case)

    def up(self):
        api = self.vault.api(timeout=5)
        try:
            status, _, _ = api.request("GET", "/healthz")
            return status == 200 and self.vault.alive()
        except OSError:
            return False
        finally:
            api.close()

    def refused(self, case, status, data, allowed=(400, 404, 405, 413, 414, 431),
                closed_ok=False, code=None):
        """A clear refusal: an allowed 4xx (problem+json when the server wrote
        it, with `code` when given), or a closed connection when closed_ok."""
        up = self.up()
        if status is None:
            self.expect(case, closed_ok and up,
                        "connection closed without a response" + ("" if up else "; SERVER DOWN"))
            return
        body = data.partition(b"\r\n\r\n")[2]
        has_code = code is None or (b'"code":"%s"' % code.encode()) in body
        leaked = PASSWD_MARK in data
        ok = status in allowed and has_code and up and not leaked
        self.expect(case, ok, f"{status} {body[:120].decode('utf-8', 'replace')}"
                    + ("" if up else "; SERVER DOWN") + ("; LEAKED /etc/passwd" if leaked else ""))

    def request(self, head, body=b"", tls=True):
        r = self.raw(tls=tls)
        try:
            r.send(head + body)
            return r.response()
        finally:
            r.close()


def json_request(method, path, body, token="", extra=b""):
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n").encode()
    if token:
        head += f"Authorization: Bearer {token}\r\n".encode()
    return head + extra + b"Connection: close\r\n\r\n", body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.environ.get("VAULT_BINARY_DIR", "build"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vault-hostile-")
    vault = harness.Vault(args.build_dir, work, raise_quotas=True)
    ok = False
    try:
        vault.init()
        vault.start()
        api = vault.api()
        vault.add_service_account(api, "till-1", "pos")
        pos = vault.token_for(api, "service", "till-1")[0]
        vault.add_employee(api, "privacy-1", "privacy_officer")
        po = vault.token_for(api, "employee", "privacy-1")[0]
        clerk_password = vault.add_employee(api, "clerk", "cashier")
        status, _, c = api.request("POST", "/v1/customers",
                                   {"email": "bystander@example.com", "phone": "+15145550100"},
                                   token=pos)
        if status != 201:
            raise Failure(f"setup create: {status} {c}")
        # Every smuggled request would erase this customer as the privacy officer.
        status, _, canary = api.request("POST", "/v1/customers",
                                        {"email": "canary@example.com"}, token=pos)
        if status != 201:
            raise Failure(f"setup canary: {status} {canary}")
        count_sql = "SELECT (SELECT COUNT(*) FROM customers) || ' ' || " \
                    "(SELECT COUNT(*) FROM idempotency_keys)"
        try:
            before = vault.sql(count_sql)
        except Failure:
            count_sql = "SELECT COUNT(*) FROM customers"
            before = vault.sql(count_sql)

        h = Hostile(vault)
        bystander = Bystander(vault, po, c["id"], "bystander@example.com")
        bystander.start()
        rss_before = vault.rss_kib()
        hostile_connections = run_front_attacks(h, vault, po, canary["id"])
        run_cases(h, vault, pos, po, clerk_password)
        rss_after = vault.rss_kib()
        hostile_connections += 40  # run_cases: about as many raw connections
        h.expect("RSS grew by less than 1 MiB per hostile connection",
                 rss_after - rss_before < 1024 * hostile_connections,
                 f"{rss_before} KiB -> {rss_after} KiB over {hostile_connections} connections")
        status, _, resp = api.request("GET", f"/v1/customers/{canary['id']}", token=po)
        h.expect("the canary customer survived every smuggling attempt", status == 200,
                 f"GET canary: {status}")
        bystander.stop.set()
        bystander.join(timeout=30)

        after = vault.sql(count_sql)
        h.expect("nothing stored (customers, idempotency keys)", before == after,
                 f"before {before}, after {after}")
        h.expect("a well-behaved client was served throughout (slow clients included)",
                 bystander.served_throughout(),
                 f"{bystander.requests} requests in {bystander.seconds:.1f}s, "
                 f"slowest {bystander.slowest:.2f}s, "
                 f"{len(bystander.failures)} failures {bystander.failures[:2]}")
        ok_audit, out = vault.audit_verify()
        h.expect("audit chain intact", ok_audit, out)
        code = vault.stop()
        h.expect("server stops cleanly on SIGTERM", code == 0, f"exit {code}")
        ok = not h.failed
        print(f"hostile clients: {len(h.results)} cases, {len(h.failed)} failed"
              + (f": {h.failed}" if h.failed else ""), flush=True)
    except Failure as e:
        print(f"hostile clients FAILED: {e}\nserver log tail:\n{vault.log_text()[-3000:]}")
    finally:
        if vault.alive():
            vault.kill()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    return 0 if ok else 1


def sample_rss(vault, stop, peak):
    """Keeps the highest VmRSS seen in peak[0] until stop is set."""
    while not stop.wait(0.05):
        try:
            peak[0] = max(peak[0], vault.rss_kib())
        except (OSError, Failure):
            return


def run_front_attacks(h, vault, po, canary):
    """The attacks of issue 15, each against the real binary: refused, the
    connection closed where it must be, nothing smuggled (every hidden
    request would erase the canary as the privacy officer), memory bounded
    per connection, bystanders served. Returns the connections it opened."""
    host = b"Host: 127.0.0.1\r\n"
    auth = b"Authorization: Bearer " + po.encode() + b"\r\n"
    hidden = (b"DELETE /v1/customers/" + canary.encode() + b" HTTP/1.1\r\n" + host + auth +
              b"\r\n")
    opened = 0

    def attack(case, head, body=b"", allowed=(400,), then=b""):
        """Sends head+body (and `then`, a next request on the same
        connection): one refusal, then the connection closes unanswered."""
        nonlocal opened
        opened += 1
        r = h.raw()
        try:
            r.send(head + body)
            if then:
                r.send(then)
            status, data = r.response()
            closed = r.closed_within(5)
        finally:
            r.close()
        # Bytes past the first answer's body would be a second answer.
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        second = len(rest) > length
        ok = status in allowed and closed and not second and h.up()
        h.expect(case, ok, f"{status}, then " + ("closed" if closed else "LEFT OPEN") +
                 ("; A SECOND ANSWER" if second else ""))

    post = b"POST /v1/customers/search HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
    # --- request smuggling: every framing in doubt is refused and closed ---
    attack("smuggling: Content-Length and Transfer-Encoding, a request hidden in the body",
           post + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n" + auth + b"\r\n",
           b"0\r\n\r\n" + hidden)
    attack("smuggling: a prefix ending in 'X-Ignore: ' to absorb the next request",
           post + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
           b"0\r\n\r\n" + hidden[:-2] + b"X-Ignore: ",
           then=b"GET /v1/auth/me HTTP/1.1\r\n" + host + auth + b"\r\n")
    body = b'{"email":"a@b.co"}'
    for case, fields in (
            ("two different Content-Lengths", b"Content-Length: %d\r\nContent-Length: 5\r\n"),
            ("Content-Length with a space before the colon", b"Content-Length : %d\r\n"),
            ("Content-Length: 29abc", b"Content-Length: %dabc\r\n"),
            ("Content-Length: +29", b"Content-Length: +%d\r\n"),
            ("Content-Length: 29, 29", b"Content-Length: %d, %d\r\n"),
            ("Transfer-Encoding other than chunked", b"Transfer-Encoding: gzip, chunked\r\n"
             b"Content-Length: %d\r\n"),
    ):
        n = len(body)
        attack(f"smuggling: {case}, a request hidden after the body",
               post + fields.replace(b"%d", b"%d" % n) + auth + b"\r\n", body + hidden)
    for case, head in (
            ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
            ("two Hosts", b"GET /healthz HTTP/1.1\r\n" + host + b"Host: evil\r\n\r\n"),
            ("obs-fold", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: a\r\n b\r\n\r\n"),
            ("a bare CR in a value", b"GET /healthz HTTP/1.1\r\n" + host + b"X-A: a\rb\r\n\r\n"),
            ("a bare LF ending a line", b"GET /healthz HTTP/1.1\n" + host + b"\r\n"),
            ("a space inside a header name", b"GET /healthz HTTP/1.1\r\n" + host +
             b"X A: b\r\n\r\n"),
            ("a NUL inside Authorization (the token would be cut there)",
             b"GET /v1/auth/me HTTP/1.1\r\n" + host + b"Authorization: Bearer " + po.encode() +
             b"\x00junk\r\n\r\n"),
            ("an ANSI escape in the method", b"G\x1b[2JET /healthz HTTP/1.1\r\n" + host + b"\r\n"),
            ("a method that would break the metrics format", b'INJ"} /healthz HTTP/1.1\r\n' +
             host + b"\r\n"),
    ):
        attack(f"framing: {case}, a request after it", head, then=hidden)

    # --- pipelining: three requests, three answers, in order ---
    opened += 1
    r = h.raw()
    r.send(b"".join(b"GET /healthz HTTP/1.1\r\n" + host + b"X-N: %d\r\n\r\n" % i
                    for i in range(3)))
    data = b""
    r.sock.settimeout(5)
    try:
        while data.count(b"HTTP/1.1 200") < 3:
            chunk = r.sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError):
        pass
    r.close()
    h.expect("three pipelined requests get three answers", data.count(b"HTTP/1.1 200") == 3,
             f"{data.count(b'HTTP/1.1 ')} answers")

    # --- memory: six clients each sending 1.5 million tiny headers (33 MB) ---
    stop, peak = threading.Event(), [vault.rss_kib()]
    base = peak[0]
    sampler = threading.Thread(target=sample_rss, args=(vault, stop, peak))
    sampler.start()
    many_results = []

    def many_headers():
        r = h.raw(timeout=30)
        t0 = time.monotonic()
        r.send(b"GET /healthz HTTP/1.1\r\n" + host)
        block = b"".join(b"X-%06d: v\r\n" % i for i in range(10_000))  # 140 KB
        sent = 0
        while sent < 33_000_000 and r.send(block):
            sent += len(block)
        status, _ = r.response()
        many_results.append((status, sent, time.monotonic() - t0))
        r.close()

    floods = [threading.Thread(target=many_headers) for _ in range(6)]
    for t in floods:
        t.start()
    for t in floods:
        t.join(timeout=60)
    stop.set()
    sampler.join()
    opened += 6
    grew = peak[0] - base
    h.expect("six clients sending 1.5 million headers each: 431 early, RSS bounded",
             len(many_results) == 6 and all(s in (431, None) for s, _, _ in many_results) and
             all(sent < 33_000_000 for _, sent, _ in many_results) and grew < 6 * 1024 and h.up(),
             f"statuses {sorted(set(s for s, _, _ in many_results), key=str)}, at most "
             f"{max((sent for _, sent, _ in many_results), default=0) // 1024} KiB taken before "
             f"the refusal, peak RSS +{grew} KiB")

    # --- connections: 64 bare TCP (no TLS hello) and 64 drip-feeders ---
    base = vault.rss_kib()
    bare = [socket.create_connection(("127.0.0.1", vault.port), timeout=10) for _ in range(64)]
    drips = []
    for _ in range(64):
        r = h.raw(timeout=10)
        r.send(b"G")
        drips.append(r)
    opened += 128
    time.sleep(0.5)
    held_rss = vault.rss_kib()
    t0 = time.monotonic()
    fresh = vault.api(timeout=5)
    try:
        status, _, _ = fresh.request("GET", "/healthz")
    except OSError as e:
        status = repr(e)
    finally:
        fresh.close()
    took = time.monotonic() - t0
    for k in range(3):  # drip: a byte every 3 s
        for r in drips:
            r.send(b"ET /healthz HTTP/1.1\r\n"[k:k + 1])
        time.sleep(1 if k < 2 else 0)
    for s_ in bare:
        s_.close()
    for r in drips:
        r.close()
    h.expect("64 bare TCP connections and 64 drip-feeders: a fresh client is answered",
             status == 200 and took < 5 and held_rss - base < 1024 * 128 and h.up(),
             f"/healthz {status} in {took:.2f}s; RSS +{held_rss - base} KiB for 128 connections")

    # --- the metrics: junk methods add no series; the exposition parses ---
    status, text = vault.metrics()
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"\\\x00-\x1f]*"'
                        r'(,[a-z_]+="[^"\\\x00-\x1f]*")*\})? [0-9.eE+-]+$')
    bad = [l for l in text.splitlines() if not l.startswith("# ") and not sample.match(l)]
    series = sum(l.startswith("vault_http_requests_total{") for l in text.splitlines())
    h.expect("metrics: parse, only fixed labels, a bounded series count",
             status == 200 and not bad and "INJ" not in text and series < 40,
             f"{status}, {series} request series, malformed lines {bad[:2]}")
    api = vault.api()
    status, _, _ = api.request("GET", "/metrics")
    api.close()
    h.expect("metrics are not on the API port", status == 404, f"GET /metrics there: {status}")
    log = vault.log_text()
    h.expect("no control character reached the server log",
             not any(c in log for c in ("\x1b", "\x00", "\r")),
             "ESC, NUL and CR absent from the log")
    return opened


def run_cases(h, vault, pos, po, clerk_password):
    host = b"Host: 127.0.0.1\r\n"
    create = b'{"email":"hostile@example.com","phone":"+15145550111"}'

    # --- slow clients and a body shorter than declared, in the background while
    # every other case runs and a well-behaved client is served ---
    slow_results = []

    def drip(i):
        r = h.raw(timeout=30)
        t0 = time.monotonic()
        closed = False
        msg = b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for k in range(12):
            if not r.send(msg[k:k + 1]):
                closed = True
                break
            time.sleep(1)
        status, _ = r.response() if not closed else (None, b"")
        slow_results.append((i, closed or status is None or status >= 400,
                             time.monotonic() - t0, status))
        r.close()

    def short_body():
        head, _ = json_request("POST", "/v1/customers", b"x" * 1000, pos)
        r = h.raw(timeout=30)
        t0 = time.monotonic()
        r.send(head + create)  # 1000 declared, 55 sent
        status, data = r.response()
        slow_results.append(("short", status is None or status >= 400,
                             time.monotonic() - t0, status))
        r.close()

    threads = [threading.Thread(target=drip, args=(i,)) for i in range(5)]
    threads.append(threading.Thread(target=short_body))
    for t in threads:
        t.start()

    # --- headers and request line ---
    status, data = h.request(b"GET /healthz HTTP/1.1\r\n" + host + b"X-Big: " +
                             b"a" * 100_000 + b"\r\nConnection: close\r\n\r\n")
    h.refused("a 100 KB header (limit 8 KB)", status, data, closed_ok=True)

    many = b"".join(b"X-H-%d: v\r\n" % i for i in range(1000))
    head, body = json_request("POST", "/v1/customers", create, pos, extra=many)
    status, data = h.request(head, body)
    h.refused("1,000 headers on a create", status, data, closed_ok=True)

    r = h.raw()
    r.send(b"GET /" + b"a" * 10_000_000 + b" HTTP/1.1\r\n" + host + b"\r\n")
    status, data = r.response()
    r.close()
    h.refused("a 10 MB request line (limit 8 KiB)", status, data, closed_ok=True)

    # --- bodies ---
    head, _ = json_request("POST", "/v1/customers", b"x" * 10, pos)
    status, data = h.request(head, create)  # declares 10 bytes, sends more
    h.refused("a body larger than declared", status, data, code="invalid_json")

    head = (b"POST /v1/customers HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\nAuthorization: Bearer " + pos.encode() +
            b"\r\n\r\n")
    status, data = h.request(head, b"{")
    h.refused("a declared body of 10 GB (limit 64 KiB)", status, data, allowed=(413,),
              closed_ok=True)

    head, _ = json_request("POST", "/v1/customers", b"x" * 100_000, pos)
    status, data = h.request(head, b'{"name":"' + b"a" * 99_988 + b'"}')
    h.refused("a 100 KB body (limit 64 KiB)", status, data, allowed=(413,), closed_ok=True)

    head = (b"POST /v1/customers HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
            b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer " +
            pos.encode() + b"\r\nConnection: close\r\n\r\n")
    status, data = h.request(head, b"%x\r\n" % len(create) + create + b"\r\n0\r\n\r\n")
    stored = status == 201
    h.refused("Content-Length and Transfer-Encoding together (smuggling)", status, data,
              allowed=(400,), closed_ok=True)
    if stored:
        h.expect("smuggled create not stored", False, "the chunked body was stored")

    head = (b"POST /v1/customers HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
            b"Content-Length: -1\r\nAuthorization: Bearer " + pos.encode() + b"\r\n\r\n")
    status, data = h.request(head, create)
    h.refused("a negative Content-Length", status, data, closed_ok=True)

    status, data = h.request(b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n", tls=False)
    h.refused("plain HTTP on the TLS port", status, data, closed_ok=True)

    # --- JSON and UTF-8 ---
    for case, body, code in (
            ("invalid UTF-8 in a JSON value", b'{"email":"a@b.co","name":"\xff\xfe"}',
             "invalid_json"),
            ("invalid UTF-8 in a member name", b'{"\xc3\x28":1}', "invalid_json"),
            ("an overlong UTF-8 encoding", b'{"name":"\xc0\xaf","email":"a@b.co"}',
             "invalid_json"),
            ("a lone surrogate escape", b'{"name":"\\ud800","email":"a@b.co"}', "invalid_json"),
            ("JSON nested 10,000 deep", b'{"a":' + b"[" * 10000 + b"]" * 10000 + b"}",
             "invalid_json"),
            ("duplicate members", b'{"email":"a@b.co","email":"c@d.co"}', "invalid_json"),
            ("an unknown member cut mid-UTF-8 in the reply",
             b'{"' + "\u00e9".encode() * 30 + b'":1}', "unknown_member"),
            ("a phone with CR LF and a header", b'{"phone":"514 555 0199\\r\\n'
             b'Set-Cookie: a=b"}', "phone_invalid"),
            ("an email with CR LF", b'{"email":"a@b.co\\r\\nX-Injected: 1"}', "email_invalid"),
            ("a body that is not an object", b'["email"]', "invalid_json"),
    ):
        head, body = json_request("POST", "/v1/customers", body, pos)
        status, data = h.request(head, body)
        h.refused(case, status, data, allowed=(400,), code=code)

    head, body = json_request("POST", "/v1/customers", create, pos)
    status, data = h.request(head.replace(b"application/json", b"text/plain"), body)
    h.refused("a body sent as text/plain", status, data, allowed=(415,),
              code="unsupported_media_type")

    # --- CR/LF towards response headers ---
    for case, extra in (
            ("Idempotency-Key with a bare CR and a header",
             b"Idempotency-Key: k1\rX-Injected: 1\r\n"),
            ("Idempotency-Key with a bare LF and a header",
             b"Idempotency-Key: k2\nX-Injected: 1\r\n"),
            ("Idempotency-Key with control bytes", b"Idempotency-Key: k\x01\x7f\r\n"),
            ("Idempotency-Key of 1,000 bytes", b"Idempotency-Key: " + b"k" * 1000 + b"\r\n"),
    ):
        head, body = json_request("POST", "/v1/customers", b'{"name":"x"}', pos, extra=extra)
        status, data = h.request(head, body)
        injected = b"\r\nx-injected" in data.partition(b"\r\n\r\n")[0].lower()
        h.refused(case, status if not injected else 999, data, allowed=(400,),
                  closed_ok=True)
    status, data = h.request(b"GET /v1/customers/cus_%0d%0aX-Injected:%201 HTTP/1.1\r\n" +
                             host + b"Authorization: Bearer " + po.encode() +
                             b"\r\nConnection: close\r\n\r\n")
    injected = b"\r\nx-injected" in data.partition(b"\r\n\r\n")[0].lower()
    h.refused("CR LF percent-encoded in a path id", status if not injected else 999, data,
              allowed=(404,))
    status, data = h.request(b"DELETE /v1/admin/tokens/%ff%fe%0d%0a HTTP/1.1\r\n" + host +
                             b"Authorization: Bearer " + vault.admin_token.encode() +
                             b"\r\nConnection: close\r\n\r\n")
    h.refused("invalid UTF-8 in a path id", status, data, allowed=(400, 404))

    # --- path traversal against the static files ---
    for path in (b"/..%2f..%2fetc/passwd", b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd",
                 b"/index.html/../../../../etc/passwd", b"//etc/passwd",
                 b"/..%5c..%5cetc%5cpasswd", b"/%252e%252e/etc/passwd", b"/app.js%00.html",
                 b"/./././../../../../../etc/passwd"):
        status, data = h.request(b"GET " + path + b" HTTP/1.1\r\n" + host +
                                 b"Connection: close\r\n\r\n")
        h.refused(f"path traversal {path.decode()}", status, data, allowed=(400, 404))

    # --- sessions and tokens ---
    api = vault.api()
    status, hdrs, me = api.request("POST", "/v1/auth/login",
                                   {"username": "clerk", "password": clerk_password})
    cookie = hdrs.get("set-cookie", "").split(";")[0]
    if status != 200 or not cookie:
        raise Failure(f"sign-in for the replay case: {status} {me}")
    csrf = me["csrf_token"]
    status, _, _ = api.request("GET", "/v1/auth/me", headers={"Cookie": cookie})
    signed_in = status == 200
    status, _, _ = api.request("POST", "/v1/auth/logout", raw=b"",
                               headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    signed_out = status == 204
    status, _, resp = api.request("GET", "/v1/auth/me", headers={"Cookie": cookie})
    h.expect("a session cookie replayed after sign-out",
             signed_in and signed_out and status == 401 and h.up(),
             f"{status} {resp.get('code') if isinstance(resp, dict) else resp}")
    status, _, resp = api.request("POST", "/v1/customers/search", {"email": "a@b.co"},
                                  headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    h.expect("the signed-out cookie with its CSRF token on a search", status == 401,
             f"{status} {resp.get('code') if isinstance(resp, dict) else resp}")

    token, token_id = vault.token_for(api, "service", "till-1")
    status, _, _ = api.request("GET", "/v1/auth/me", token=token)
    works = status == 200
    status, _, _ = api.request("DELETE", f"/v1/admin/tokens/{token_id}",
                               token=vault.admin_token)
    revoked = status == 204
    status, _, resp = api.request("POST", "/v1/customers", {"email": "revoked@example.com"},
                                  token=token)
    h.expect("a revoked token replayed on a create",
             works and revoked and status == 401 and resp.get("code") == "invalid_token",
             f"{status} {resp.get('code')}: {resp.get('detail')}")
    status, _, resp = api.request("GET", "/v1/auth/me",
                                  token=token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"))
    h.expect("a forged token (right id, wrong secret)", status == 401,
             f"{status} {resp.get('code')}")

    # --- a flood of sign-in attempts (last: it locks this address out) ---
    codes = []
    for _ in range(8):
        status, _, resp = api.request("POST", "/v1/auth/login",
                                      {"username": "clerk", "password": "wrong"})
        codes.append((status, resp.get("code"), resp.get("detail")))
    status, _, resp = api.request("POST", "/v1/auth/login",
                                  {"username": "clerk", "password": clerk_password})
    locked = (status, resp.get("code"))
    first_429 = next((i for i, c in enumerate(codes) if c[0] == 429), None)
    h.expect("8 wrong passwords for one user: the rate limit trips",
             first_429 == 5 and all(c[0] == 401 for c in codes[:5]) and
             all(c[1] == "login_rate_limited" for c in codes[5:]),
             f"401 x5, then {codes[5][0]} {codes[5][1]}: {codes[5][2]}")
    h.expect("then the right password is refused too (lockout)",
             locked == (429, "login_rate_limited"), f"{locked[0]} {locked[1]}")
    flood = []
    for i in range(30):
        status, _, resp = api.request("POST", "/v1/auth/login",
                                      {"username": f"nobody{i}", "password": "x"})
        flood.append(status)
    h.expect("30 sign-ins for 30 unknown users from one address",
             flood.count(429) >= 10 and set(flood) <= {401, 429} and h.up(),
             f"{flood.count(401)} x 401, then {flood.count(429)} x 429 (address limit)")
    api.close()

    for t in threads:
        t.join(timeout=40)
    drips = [r for r in slow_results if r[0] != "short"]
    short = [r for r in slow_results if r[0] == "short"]
    h.expect("5 slow clients dripping a byte a second for 12 s",
             len(drips) == 5 and all(r[1] for r in drips) and h.up(),
             "each cut off or refused after %s s; nothing stored" %
             ", ".join(f"{r[2]:.0f}" for r in drips))
    h.expect("a body shorter than declared (1000 declared, 55 sent)",
             len(short) == 1 and short[0][1] and h.up(),
             f"connection closed after {short[0][2]:.0f} s (read timeout), status "
             f"{short[0][3]}" if short else "no result")


if __name__ == "__main__":
    sys.exit(main())
