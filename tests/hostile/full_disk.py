#!/usr/bin/env python3
"""Full disk: the real server on a small filesystem that fills up.

Mounts a size-limited tmpfs (32 MiB) for the data directory (as root, or
inside an unprivileged user+mount namespace through `unshare -rm` when not
root; exits 77, skipped, when neither is possible), starts the server there,
eats most of the space with a ballast file, and creates customers until the
filesystem is full. Then checks:
  - the failing writes get a clear 507 (storage_full) or 503, never a 500,
    and the server stays up;
  - reads keep working: health, readiness, the caller's identity, and
    customer reads and searches;
  - once the ballast is deleted, writes succeed again, without a restart;
  - after a clean stop: PRAGMA integrity_check is ok, the audit chain
    verifies, every acknowledged customer is there and decrypts
    (vault_check), and no failed write left a record or a success audit
    entry: the customers in the file are exactly the acknowledged ones.

  tests/hostile/full_disk.py [--build-dir build] [--size-mb 8] [--keep]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Failure  # noqa: E402

SKIP = 77


def mount_tmpfs(path, size_mb):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs",
                        path], capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def expect(results, case, ok, detail):
    print(("ok   " if ok else "FAIL ") + f"{case}: {detail}", flush=True)
    results.append((case, ok))


def run(args, mnt, work):
    results = []
    vault = harness.Vault(args.build_dir, work)
    vault.data_dir = os.path.join(mnt, "data")  # the vault lives on the small filesystem
    vault.ca_file = os.path.join(vault.data_dir, "tls", "cert.pem")
    vault.db_path = os.path.join(vault.data_dir, "vault.db")
    try:
        vault.init()
        vault.start()
        api = vault.api()
        vault.add_service_account(api, "till-1", "pos")
        pos = vault.token_for(api, "service", "till-1")[0]
        po_password = vault.add_employee(api, "privacy-1", "privacy_officer")
        po = vault.token_for(api, "employee", "privacy-1")[0]

        acked = {}

        def create(n):
            body = {"email": f"disk-{n}@example.com", "phone": "+1514%07d" % (2000000 + n),
                    "name": f"Full Disk {n} " + "x" * 150}
            status, _, resp = api.request("POST", "/v1/customers", body, token=pos)
            if status == 201:
                acked[resp["id"]] = (body["email"], body["phone"], body["name"])
            return status, resp

        for n in range(20):
            status, resp = create(n)
            if status != 201:
                raise Failure(f"create before filling: {status} {resp}")

        ballast = os.path.join(mnt, "ballast")
        with open(ballast, "wb") as f:
            f.write(b"\0" * max(0, free_bytes(mnt) - 512 * 1024))
        first_failure = None
        n = 20
        while n < 20000:
            status, resp = create(n)
            n += 1
            if status != 201:
                first_failure = (status, resp)
                break
        if first_failure is None:
            raise Failure("the filesystem never filled")
        status, resp = first_failure
        code = resp.get("code") if isinstance(resp, dict) else None
        expect(results, "a create on the full filesystem",
               (status, code) in ((507, "storage_full"), (503, "audit_unavailable"),
                                  (503, "storage_unavailable")),
               f"{status} {code}: {resp.get('detail') if isinstance(resp, dict) else resp} "
               f"(after {len(acked)} acknowledged creates, {free_bytes(mnt)} bytes free)")

        statuses = []
        for k in range(10):
            s, r = create(n + k)
            statuses.append((s, r.get("code") if isinstance(r, dict) else None))
        n += 10
        expect(results, "10 more creates while full",
               all(s in (507, 503) for s, _ in statuses) or
               all(s in (507, 503, 201) for s, _ in statuses),
               ", ".join(f"{s} {c}" for s, c in statuses))
        status, _, batch = api.request("POST", "/v1/customers/batch",
                                       {"items": [{"email": f"batch-{i}@example.com"}
                                                  for i in range(5)]}, token=pos)
        expect(results, "a batch create while full",
               status in (503, 507) or (status == 200 and batch.get("succeeded", 0) == 0),
               f"{status} " + (f"{batch.get('failed')} items failed: "
                               f"{[r.get('error', {}).get('code') for r in batch['results']]}"
                               if status == 200 else str(batch.get("code"))))
        if status == 200:
            for r in batch.get("results", []):
                if r.get("created"):
                    acked[r["customer"]["id"]] = (r["customer"].get("email"), None, None)

        # Reads while full.
        some_id = next(iter(acked))
        email = acked[some_id][0]
        reads = [("GET /healthz", "GET", "/healthz", None, None),
                 ("GET /readyz", "GET", "/readyz", None, None),
                 ("GET /v1/auth/me", "GET", "/v1/auth/me", None, po),
                 ("GET a customer", "GET", f"/v1/customers/{some_id}", None, po),
                 ("search by email", "POST", "/v1/customers/search", {"email": email}, po),
                 ("reveal a phone", "POST", f"/v1/customers/{some_id}/reveal",
                  {"fields": ["phone"], "reason": "full disk test"}, po)]
        for case, method, path, body, token in reads:
            status, _, resp = api.request(method, path, body, token=token)
            expect(results, f"while full, {case}", status == 200,
                   f"{status} {resp.get('code') if isinstance(resp, dict) else ''}")
        status, hdrs, resp = api.request("POST", "/v1/auth/login",
                                         {"username": "privacy-1", "password": po_password})
        cookie = hdrs.get("set-cookie", "").split(";")[0]
        status2, _, _ = api.request("GET", f"/v1/customers/{some_id}",
                                    headers={"Cookie": cookie})
        expect(results, "while full, sign in and read with the session",
               status == 200 and status2 == 200, f"{status}, then {status2}")
        ids = list(acked)
        bad = []
        for k in range(300):
            cid = ids[k % len(ids)]
            s1, _, _ = api.request("GET", f"/v1/customers/{cid}", token=po)
            s2, _, _ = api.request("POST", "/v1/customers/search",
                                   {"email": acked[cid][0]}, token=po)
            if (s1, s2) != (200, 200):
                bad.append((k, s1, s2))
        expect(results, "while full, 300 reads and 300 searches (each audited)", not bad,
               f"{len(bad)} failed, first {bad[:3]}; {free_bytes(mnt)} bytes free")
        s, r = create(n)
        n += 1
        expect(results, "creates are still refused after the reads", s == 507,
               f"{s} {r.get('code') if isinstance(r, dict) else r}")

        before_free = free_bytes(mnt)
        os.unlink(ballast)
        statuses = []
        for k in range(5):
            statuses.append(create(n + k)[0])
        n += 5
        expect(results, "writes succeed again once space is freed (no restart)",
               statuses == [201] * 5,
               f"{statuses}; free {before_free} -> {free_bytes(mnt)} bytes")

        code = vault.stop()
        expect(results, "server stops cleanly", code == 0, f"exit {code}")
        ok, out = vault.integrity_check()
        expect(results, "PRAGMA integrity_check", ok, out)
        ok, out = vault.audit_verify()
        expect(results, "audit chain verifies", ok, out)
        lines = [f"{i}\t{e}\t{p or ''}\t{nm or ''}" for i, (e, p, nm) in acked.items()]
        rc, report, err = harness.vault_check(args.build_dir, vault.data_dir, lines)
        expect(results, "every acknowledged customer is there and decrypts",
               rc == 0 and report is not None,
               f"{report['customers']} customers, {report['expected']} acknowledged, "
               f"failures {report['failures'][:3]}" if report else err)
        stored = int(vault.sql("SELECT COUNT(*) FROM customers"))
        audited = int(vault.sql("SELECT COUNT(*) FROM audit_log WHERE action = "
                                "'customer.create' AND outcome = 'success'"))
        expect(results, "no partial record: stored == acknowledged == audited creates",
               stored == len(acked) == audited,
               f"{stored} stored, {len(acked)} acknowledged, {audited} audited as success")
    except Failure as e:
        expect(results, "setup", False, str(e))
        print("server log tail:\n" + vault.log_text()[-3000:])
    finally:
        if vault.alive():
            vault.kill()
    failed = [c for c, ok in results if not ok]
    print(f"full disk: {len(results)} checks, {len(failed)} failed" +
          (f": {failed}" if failed else ""), flush=True)
    return 0 if not failed else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.environ.get("VAULT_BINARY_DIR", "build"))
    ap.add_argument("--size-mb", type=int, default=32,
                    help="the server sets 8 MiB aside for a full disk; leave room for it")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)

    if os.geteuid() != 0 and not args.in_namespace:
        # Not root: a user namespace in which we are, with a mount namespace
        # of our own for the tmpfs.
        unshare = ["unshare", "--user", "--map-root-user", "--mount"]
        if shutil.which("unshare") is None or subprocess.run(
                unshare + ["true"], capture_output=True).returncode != 0:
            print("full_disk: not root and no user namespaces (unshare -rm); skipped")
            return SKIP
        return subprocess.run(unshare + [sys.executable, os.path.abspath(__file__),
                                         "--in-namespace", *sys.argv[1:]]).returncode

    work = tempfile.mkdtemp(prefix="vault-full-disk-")
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    mounted, why = mount_tmpfs(mnt, args.size_mb)
    if not mounted:
        print(f"full_disk: cannot mount a tmpfs ({why}); skipped")
        shutil.rmtree(work, ignore_errors=True)
        return SKIP
    code = 1
    try:
        print(f"full disk: {args.size_mb} MiB tmpfs at {mnt}", flush=True)
        code = run(args, mnt, work)
    finally:
        if code != 0 or args.keep:
            try:
                shutil.copytree(os.path.join(mnt, "data"), os.path.join(work, "data-copy"))
            except OSError:
                pass
        subprocess.run(["umount", "-l", mnt])
        if code == 0 and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work} (the data directory in data-copy/)")
    return code


if __name__ == "__main__":
    sys.exit(main())
