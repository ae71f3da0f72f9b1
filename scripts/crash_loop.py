#!/usr/bin/env python3
"""Crash loop: SIGKILL the real server at random moments under load, restart
it, and check that nothing acknowledged was lost.

Each cycle runs, against contact-vault-server on a fresh data directory:
concurrent creates (a POS service account, some with an Idempotency-Key),
concurrent phone reveals (a support employee; the policy copy raises the
quota of 20/hour), and a key rotation (POST /v1/admin/keys/rotate, data,
every third one index) started at a random moment; then SIGKILL at a random
moment (sometimes while the server is still starting and resuming the
rotation). After each restart it checks:
  - every create the client saw acknowledged (201) is there with the values
    sent (vault_check), found by search as exactly one customer;
  - an idempotent create cut off by the kill, retried with the same key,
    yields exactly one customer;
  - PRAGMA integrity_check is ok (sqlite3 CLI);
  - every stored record decrypts (vault_check reads every row);
  - the audit chain verifies (contact-vault audit verify --local);
  - the rotation resumes and completes: every DEK ends under the active
    data key and every blind index under the active index key; the old key
    is then destroyed.

  scripts/crash_loop.py [--build-dir build] [--cycles 200] [--seed N]
                        [--seed-records 5000] [--keep]

Exit 0 when every cycle passed; 1 with the first broken property.
"""

import argparse
import http.client
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "hostile"))
import harness  # noqa: E402
from harness import Failure  # noqa: E402

NET_ERRORS = (OSError, http.client.HTTPException)


class Ledger:
    """What the clients saw acknowledged, shared by the worker threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}       # id -> (email, phone, name)
        self.pending = []     # (idempotency key, body) cut off by a kill
        self.reveals = 0
        self.rotations = 0
        self.retried = 0           # idempotent creates retried after a kill
        self.retried_existing = 0  # of which the first attempt had committed
        self.counter = 0

    def next_n(self):
        with self.lock:
            self.counter += 1
            return self.counter


def customer_body(run, n):
    # Values already in canonical form, so vault_check compares them as sent.
    phone = "+1514%07d" % (2000000 + n % 1000000)  # exchanges 200-209
    return {"email": f"c{run}-{n}@example.com", "phone": phone, "name": f"Customer {n}"}


def creator(vault, token, ledger, run, stop, rng_seed, errors):
    rng = random.Random(rng_seed)
    api = vault.api(timeout=10)
    try:
        while not stop.is_set():
            n = ledger.next_n()
            body = customer_body(run, n)
            headers = {}
            key = None
            if rng.random() < 0.3:
                key = f"ik-{run}-{n}"
                headers["Idempotency-Key"] = key
            try:
                status, _, resp = api.request("POST", "/v1/customers", body, token=token,
                                              headers=headers)
            except NET_ERRORS:
                if key:
                    with ledger.lock:
                        ledger.pending.append((key, body))
                return
            if status == 201:
                with ledger.lock:
                    ledger.acked[resp["id"]] = (body["email"], body["phone"], body["name"])
            elif status in (503,):
                continue  # shutting down or busy: not acknowledged, not an error
            else:
                errors.append(f"create answered {status}: {resp}")
                return
    finally:
        api.close()


def revealer(vault, token, ledger, stop, rng_seed, errors):
    rng = random.Random(rng_seed)
    api = vault.api(timeout=10)
    try:
        while not stop.is_set():
            with ledger.lock:
                if not ledger.acked:
                    pick = None
                else:
                    pick = rng.choice(list(ledger.acked.keys())[-2000:])
                    want = ledger.acked[pick][1]
            if pick is None:
                time.sleep(0.01)
                continue
            try:
                status, _, resp = api.request("POST", f"/v1/customers/{pick}/reveal",
                                              {"fields": ["phone"], "reason": "crash loop"},
                                              token=token)
            except NET_ERRORS:
                return
            if status == 200:
                if resp.get("values", {}).get("phone") != want:
                    errors.append(f"reveal of {pick} returned another phone")
                    return
                with ledger.lock:
                    ledger.reveals += 1
            elif status != 503:
                errors.append(f"reveal answered {status}: {resp}")
                return
    finally:
        api.close()


def rotator(vault, ledger, stop, delay, purpose, errors):
    if stop.wait(delay):
        return
    api = vault.api(timeout=10)
    try:
        status, _, resp = api.request("POST", "/v1/admin/keys/rotate", {"purpose": purpose},
                                      token=vault.admin_token)
    except NET_ERRORS:
        return
    finally:
        api.close()
    if status == 202:
        with ledger.lock:
            ledger.rotations += 1
    elif status not in (409, 503):  # 409: a rotation is still running
        errors.append(f"rotate answered {status}: {resp}")


def wait_rotation_done(vault, api, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        status, _, p = api.request("GET", "/v1/admin/keys/rotation", token=vault.admin_token)
        if status != 200:
            raise Failure(f"rotation status answered {status}: {p}")
        if p.get("state") != "running":
            return p
        if time.monotonic() > deadline:
            raise Failure(f"rotation still running after {timeout}s: {p}")
        time.sleep(0.05)


def check(vault, args, ledger, run, tokens, rng):
    """Every property after a restart; raises Failure. Returns a summary."""
    api = vault.api(timeout=30)
    t0 = time.monotonic()
    timing = {}

    def lap(name):
        nonlocal t0
        now = time.monotonic()
        timing[name] = now - t0
        t0 = now

    try:
        ok, out = vault.integrity_check()
        lap("integrity")
        if not ok:
            raise Failure("PRAGMA integrity_check: " + out)

        # Idempotent creates the kill cut off: a retry makes exactly one.
        with ledger.lock:
            pending, ledger.pending = ledger.pending, []
        for key, body in pending:
            status, hdrs, resp = api.request("POST", "/v1/customers", body, token=tokens["pos"],
                                             headers={"Idempotency-Key": key})
            status_s, _, found = api.request("POST", "/v1/customers/search",
                                             {"email": body["email"]}, token=tokens["po"])
            ids = [m["id"] for m in found.get("matches", [])] if status_s == 200 else None
            if status == 201:
                want = resp["id"]
            elif status == 409 and resp.get("code") == "duplicate_email" and ids:
                # The kill fell between the create's commit and the commit of its
                # idempotency record: the retry finds the customer, not a second one.
                want = ids[0]
                with ledger.lock:
                    ledger.retried_existing += 1
            else:
                raise Failure(f"retried idempotent create {key}: {status} {resp}")
            if ids != [want]:
                raise Failure(f"retried idempotent create {key} left {ids}, want exactly "
                              f"[{want}]")
            with ledger.lock:
                ledger.acked[want] = (body["email"], body["phone"], body["name"])
                ledger.retried += 1

        lap("retries")
        progress = wait_rotation_done(vault, api)
        lap("rotation")
        if progress.get("state") not in ("done", "none"):
            raise Failure(f"rotation ended in state {progress}")
        if progress.get("state") == "done" and progress.get("done") != progress.get("total"):
            raise Failure(f"rotation done with {progress.get('done')}/{progress.get('total')}")

        with ledger.lock:
            acked = dict(ledger.acked)
        lines = [f"{i}\t{e}\t{p}\t{n}" for i, (e, p, n) in acked.items()]
        code, report, err = harness.vault_check(args.build_dir, vault.data_dir, lines)
        lap("vault_check")
        if report is None:
            raise Failure(f"vault_check exited {code}: {err}")
        if code != 0:
            raise Failure(f"vault_check: {report['failures'][:5]} "
                          f"({len(report['failures'])} failures)")
        if report["expected"] != len(acked) or report["customers"] < len(acked):
            raise Failure(f"vault_check saw {report['customers']} customers for "
                          f"{len(acked)} acknowledged")
        active = str(report["active_data_key"])
        if set(report["dek_key_ids"]) - {active}:
            raise Failure(f"after the rotation, DEKs still under {report['dek_key_ids']}, "
                          f"active data key {active}")
        active_idx = str(report["active_index_key"])
        if set(report["index_key_ids"]) - {active_idx}:
            raise Failure(f"after the rotation, indexes under {report['index_key_ids']}, "
                          f"active index key {active_idx}")

        ok, out = vault.audit_verify()
        if not ok:
            raise Failure("audit verify: " + out)
        lap("audit")

        # Search finds acknowledged customers, exactly once each.
        for cid in rng.sample(sorted(acked), min(5, len(acked))):
            email, phone, _ = acked[cid]
            for term in ({"email": email}, {"phone": phone}):
                status, _, found = api.request("POST", "/v1/customers/search", term,
                                               token=tokens["po"])
                ids = [m["id"] for m in found.get("matches", [])] if status == 200 else None
                if ids != [cid]:
                    raise Failure(f"search for acknowledged {cid} by {list(term)[0]} "
                                  f"answered {status} {ids}")

        lap("search")
        # Retire the keys the finished rotation emptied.
        destroyed = 0
        status, _, keys = api.request("GET", "/v1/admin/keys", token=vault.admin_token)
        if status != 200:
            raise Failure(f"key list answered {status}")
        for k in keys["keys"]:
            if (k["state"] == "decrypt_only" and k["records"] == 0 and
                    k["audit_entries"] == 0 and k["purpose"] in ("data", "index")):
                status, _, resp = api.request("POST", f"/v1/admin/keys/{k['id']}/destroy",
                                              token=vault.admin_token)
                if status != 204:
                    raise Failure(f"destroying emptied key {k['id']}: {status} {resp}")
                destroyed += 1
        return (f"{report['customers']} customers decrypt, {len(acked)} acknowledged present; "
                f"rotation {progress.get('state')} {progress.get('done', 0)}/"
                f"{progress.get('total', 0)}; {out}; {destroyed} keys destroyed"
                + (f" [{' '.join(f'{k} {v:.2f}s' for k, v in timing.items())}]"
                   if args.timing else ""))
    finally:
        api.close()


def seed(vault, api, token, ledger, run, count):
    left = count
    while left > 0:
        items = []
        for _ in range(min(500, left)):
            n = ledger.next_n()
            items.append(customer_body(run, n))
        status, _, resp = api.request("POST", "/v1/customers/batch", {"items": items},
                                      token=token)
        if status != 200 or resp.get("failed"):
            raise Failure(f"seeding answered {status}: {str(resp)[:300]}")
        for item, result in zip(items, resp["results"]):
            ledger.acked[result["customer"]["id"]] = (item["email"], item["phone"],
                                                      item["name"])
        left -= len(items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.environ.get("VAULT_BINARY_DIR", "build"))
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--seed-records", type=int, default=5000,
                    help="customers created before the first cycle, so a rotation "
                         "takes long enough to be killed midway")
    ap.add_argument("--max-run", type=float, default=2.0,
                    help="longest load phase before the kill, in seconds")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--timing", action="store_true", help="show how long each check took")
    args = ap.parse_args()
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed_value)
    run = "%08x" % rng.randrange(1 << 32)
    work = tempfile.mkdtemp(prefix="vault-crash-loop-")
    vault = harness.Vault(args.build_dir, work)
    ledger = Ledger()
    started = time.monotonic()
    print(f"crash loop: {args.cycles} cycles, seed {seed_value}, work dir {work}", flush=True)
    ok = False
    cycle = 0
    try:
        vault.init()
        vault.start()
        api = vault.api()
        vault.add_service_account(api, "till-1", "pos")
        vault.add_employee(api, "support-1", "support")
        vault.add_employee(api, "privacy-1", "privacy_officer")
        tokens = {"pos": vault.token_for(api, "service", "till-1")[0],
                  "support": vault.token_for(api, "employee", "support-1")[0],
                  "po": vault.token_for(api, "employee", "privacy-1")[0]}
        seed(vault, api, tokens["pos"], ledger, run, args.seed_records)
        api.close()
        print(f"setup: {len(ledger.acked)} customers seeded in "
              f"{time.monotonic() - started:.1f}s", flush=True)

        kills_during_start = 0
        resumed = 0  # restarts that resumed an interrupted rotation
        for cycle in range(1, args.cycles + 1):
            if not vault.alive():
                if rng.random() < 0.1:
                    # Kill it while it opens the vault and resumes the rotation.
                    vault.start_and_kill_early(rng.uniform(0.0, 0.3))
                    kills_during_start += 1
                vault.start()
                if "resuming" in vault.log_text():
                    resumed += 1
                summary = check(vault, args, ledger, run, tokens, rng)
            else:
                summary = "first start"
            stop = threading.Event()
            errors = []
            threads = [threading.Thread(target=creator,
                                        args=(vault, tokens["pos"], ledger, run, stop,
                                              rng.random(), errors)) for _ in range(3)]
            threads += [threading.Thread(target=revealer,
                                         args=(vault, tokens["support"], ledger, stop,
                                               rng.random(), errors)) for _ in range(2)]
            run_for = rng.uniform(0.1, args.max_run)
            purpose = "index" if cycle % 3 == 0 else "data"
            threads.append(threading.Thread(target=rotator,
                                            args=(vault, ledger, stop,
                                                  rng.uniform(0, run_for), purpose, errors)))
            before = len(ledger.acked)
            reveals_before = ledger.reveals
            for t in threads:
                t.start()
            time.sleep(run_for)
            vault.kill()
            stop.set()
            for t in threads:
                t.join(timeout=60)
                if t.is_alive():
                    raise Failure("a client thread hung after the kill")
            if errors:
                raise Failure("; ".join(errors[:3]))
            print(f"cycle {cycle}: {summary}; then {len(ledger.acked) - before} creates "
                  f"and {ledger.reveals - reveals_before} reveals acknowledged, "
                  f"SIGKILL after {run_for:.2f}s", flush=True)

        vault.start()
        summary = check(vault, args, ledger, run, tokens, rng)
        code = vault.stop()
        if code != 0:
            raise Failure(f"server exited {code} on SIGTERM")
        print(f"final: {summary}")
        print(f"crash loop passed: {args.cycles} SIGKILLs ({kills_during_start} during "
              f"start-up, {resumed} restarts resumed a rotation cut off midway), "
              f"{len(ledger.acked)} acknowledged creates, {ledger.reveals} "
              f"reveals, {ledger.rotations} rotations started, {ledger.retried} idempotent "
              f"creates retried after a kill ({ledger.retried_existing} had committed), "
              f"{time.monotonic() - started:.0f}s", flush=True)
        ok = True
    except Failure as e:
        print(f"crash loop FAILED at cycle {cycle} (seed {seed_value}): {e}", flush=True)
        print("server log tail:\n" + vault.log_text()[-3000:], flush=True)
    finally:
        if vault.alive():
            vault.kill()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
