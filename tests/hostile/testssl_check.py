#!/usr/bin/env python3
"""testssl.sh against the real server: fails on any finding rated LOW or
worse (the issue asks for MEDIUM; testssl rates CBC suites and LUCKY13 only
LOW, and the server must offer neither).

Starts contact-vault-server on a fresh vault (127.0.0.1, port 0, its
development certificate, the shipped TLS settings), runs Debian's testssl.sh
in fast mode against it with its JSON output, and reads every finding. The
development certificate is trusted through --add-ca, so what is judged is the
server's TLS and HTTP configuration, not who signed the test certificate:
protocols (TLS 1.2 and 1.3 only), ciphers (ECDHE with AEAD only, the
server's order), forward secrecy, the known vulnerabilities (Heartbleed,
CRIME, BREACH, ROBOT, renegotiation, ...), session resumption, and the
security headers (HSTS) on an HTTPS response.

  tests/hostile/testssl_check.py [--build-dir build] [--keep]

Prints the findings of LOW or worse (and the run's time); exit 0 when
there is none, 1 otherwise (testssl not installed included).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Failure  # noqa: E402

BAD = {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
# What testssl says of the scan itself rather than of the server, and of the
# self-signed development certificate rather than of the server's TLS: a
# certificate from a CA names its CRL or OCSP responder; this one has no CA.
NOT_FINDINGS = {"scanProblem", "scanTime", "engine_problem", "optimal_proto", "cert_revocation"}


def testssl_binary():
    for name in ("testssl", "testssl.sh"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.environ.get("VAULT_BINARY_DIR", "build"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    binary = testssl_binary()
    if binary is None:
        print("testssl FAILED: not installed (scripts/install-deps.sh installs testssl.sh)")
        return 1
    work = tempfile.mkdtemp(prefix="vault-testssl-")
    vault = harness.Vault(args.build_dir, work, raise_quotas=False)
    ok = False
    try:
        vault.init()
        vault.start()
        out = os.path.join(work, "testssl.json")
        # The checks that judge the server (the client simulations and the
        # per-cipher listings of a full run only describe it, and take most
        # of its time): protocols, cipher categories, forward secrecy, the
        # server's order, its defaults (tickets, resumption, certificate),
        # the HTTP headers, the vulnerabilities.
        cmd = [binary, "--quiet", "--fast", "--color", "0", "--warnings", "off",
               "--protocols", "--std", "--pfs", "--server-preference", "--server-defaults",
               "--headers", "--vulnerable",
               "--connect-timeout", "10", "--openssl-timeout", "10",
               "--add-ca", vault.ca_file, "--ip", "127.0.0.1", "--jsonfile", out,
               # Local only: no revocation or OCSP look-ups, no DNS for CAA.
               "--nodns", "none",
               f"https://localhost:{vault.port}/healthz"]
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=work,
                           env={**os.environ, "TERM": "dumb"})
        took = time.monotonic() - t0
        try:
            with open(out) as f:
                findings = json.load(f)
        except (OSError, ValueError) as e:
            raise Failure(f"testssl wrote no JSON ({e}); exit {r.returncode}\n"
                          f"{r.stdout[-3000:]}{r.stderr[-2000:]}")
        if not findings:
            raise Failure("testssl reported nothing")
        bad = [f for f in findings
               if f.get("severity") in BAD and f.get("id") not in NOT_FINDINGS]
        ids = {f.get("id") for f in findings}
        # A positive control: the checks that matter here did run.
        for needed in ("TLS1_2", "TLS1_3", "cipher_order", "HSTS", "BREACH", "heartbleed"):
            if not any(i == needed or (i or "").startswith(needed) for i in ids):
                raise Failure(f"testssl reported no {needed} check: {sorted(ids)[:40]}")
        for f in bad:
            print(f"FAIL {f.get('severity')} {f.get('id')}: {f.get('finding')}", flush=True)
        print(f"testssl: {len(findings)} findings, {len(bad)} rated LOW or worse, "
              f"{took:.0f} s (exit {r.returncode})", flush=True)
        vault.stop()
        ok = not bad
    except Failure as e:
        print(f"testssl FAILED: {e}\nserver log tail:\n{vault.log_text()[-2000:]}")
    finally:
        if vault.alive():
            vault.kill()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
