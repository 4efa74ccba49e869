#!/usr/bin/env python3
"""Issue 12, "Bounded time and memory": recovery of an empty Redis against a ledger of 1 million orders, from outside.

Creates its own PostgreSQL database (the server's migrator creates the schema at start), starts a PRIVATE redis-server
(no persistence, first free port from 6391, stopped by pid) and the Release plain server (separate process, task
engine on), lets it mark its partitions, bulk-fills the ledger, stock and cursor tables with SQL (N orders of one unit
over S SKUs, per-SKU sequences and stock-after consistent, journal_at spread over 30 days so about a quarter falls in
the 7-day idempotency TTL, cursors at each partition's last entry), then FLUSHALLs the private Redis and samples
every 200 ms until every partition sells again: GET /api/health (latency, status), one deduction per still-closed
partition (a SKU of that partition, an order id whose home is that partition: a 200 means the partition sells),
server RSS (/proc/<pid>/status VmRSS). Finally waits for the engine to persist the probes and compares Redis stock
with SQL stock for every SKU. Usage: scripts/bench-rebuild.py [--orders N] [--skus S] [--no-build]
"""
import argparse, http.client, json, os, random, signal, socket, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = dict(host="127.0.0.1", port="5433", user="postgres")
PARTITIONS = 16
INITIAL = 10_000_000


def stable_hash(value: str) -> int:
    h = 2166136261
    for c in value.encode("utf-16-le").decode("utf-16-le"):
        for unit in ([ord(c)] if ord(c) < 0x10000 else [0xD800 + ((ord(c) - 0x10000) >> 10), 0xDC00 + ((ord(c) - 0x10000) & 0x3FF)]):
            h ^= unit
            h = (h * 16777619) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def partition_of(sku): return stable_hash(sku) % PARTITIONS
def home_of(order_id): return stable_hash("order/" + order_id) % PARTITIONS


def psql(db, sql):
    env = dict(os.environ, PGPASSWORD=os.environ.get("PGPASSWORD", ""))
    out = subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db, "-v", "ON_ERROR_STOP=1",
                          "-At", "-c", sql], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def free_port(start):
    port = start
    while True:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                port += 1


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0


def request(port, method, path, body=None, key="", timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        headers = {"x-functions-key": key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data, time.monotonic() - started
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e).encode(), time.monotonic() - started
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--skus", type=int, default=500)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    run = f"rb{int(time.time()) % 100000}{random.randint(0, 999)}"
    db = f"inventory_bench_{run}"
    log_dir = os.path.join(ROOT, ".local", "log", f"bench-rebuild-{run}")
    os.makedirs(log_dir, exist_ok=True)
    key = os.urandom(12).hex()
    procs = []

    def stop_all():
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()

    try:
        if not args.no_build:
            print("[bench-rebuild] dotnet build -c Release src/Inventory.Server", flush=True)
            subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(ROOT, "src/Inventory.Server")], check=True,
                           stdout=open(os.path.join(log_dir, "build.log"), "w"), stderr=subprocess.STDOUT)
        dll = os.path.join(ROOT, "src/Inventory.Server/bin/Release/net10.0/Inventory.Server.dll")
        rport = free_port(6391)
        redis = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                  "--dir", log_dir], stdout=open(os.path.join(log_dir, "redis.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(redis)
        rcli = ["redis-cli", "-p", str(rport)]
        for _ in range(50):
            if subprocess.run(rcli + ["ping"], capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        psql("postgres", f"CREATE DATABASE {db}")
        print(f"[bench-rebuild] run {run}: private redis-server :{rport} (pid {redis.pid}), database {db}, logs {log_dir}", flush=True)

        hport = free_port(17100)
        env = dict(os.environ, Inventory__Redis__Configuration=f"127.0.0.1:{rport}", Inventory__Sql__Provider="postgres",
                   Inventory__Sql__ConnectionString=f"Host=127.0.0.1;Port=5433;Username=postgres;Database={db}",
                   Inventory__Workers__Engine="true", Inventory__Keys__Function=key, Inventory__Keys__Admin=key,
                   AzureWebJobsStorage="UseDevelopmentStorage=true")
        server = subprocess.Popen(["dotnet", dll, "--urls", f"http://127.0.0.1:{hport}"], cwd=os.path.dirname(dll), env=env,
                                  stdout=open(os.path.join(log_dir, "server.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(server)
        for _ in range(600):
            status, _, _ = request(hport, "GET", "/api/health", timeout=1)
            if status:
                break
            time.sleep(0.1)
        # the server migrates the database and marks its partitions (fresh: no history yet)
        for _ in range(300):
            marked = subprocess.run(rcli + ["--scan", "--pattern", "*:marker"], capture_output=True, text=True).stdout.split()
            if len(marked) >= PARTITIONS:
                break
            time.sleep(0.2)
        print(f"[bench-rebuild] server pid {server.pid} on :{hport}, {len(marked)} partitions marked, RSS {rss_mb(server.pid):.0f} MB", flush=True)

        skus = [f"sku-{i}" for i in range(args.skus)]
        by_partition = {}
        for s in skus:
            by_partition.setdefault(partition_of(s), s)
        values = ",".join(f"('{s}',{partition_of(s)})" for s in skus)
        n, per = args.orders, args.orders // args.skus
        started = time.monotonic()
        # Order i: one unit of sku-(i % S), the SKU's sequence i / S + 1, journal_at from now - 30 days in even steps
        # (the last 7 days, the idempotency TTL, hold about 23 %), stream id the entry's millisecond.
        psql(db, f"""
            CREATE TEMP TABLE sku_part(sku varchar(64) COLLATE "C", p int);
            INSERT INTO sku_part VALUES {values};
            INSERT INTO ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at)
            SELECT g.sku, g.seq, sp.p, (floor(extract(epoch from g.at) * 1000)::bigint)::text || '-0', 'deduct', 'o-{run}-' || g.i,
                   -1, {INITIAL} - g.seq, NULL, 0, g.at
            FROM (SELECT i, 'sku-' || (i % {args.skus}) AS sku, i / {args.skus} + 1 AS seq,
                         now() - interval '30 days' + (i * (interval '30 days' - interval '1 minute') / {n}) AS at
                  FROM generate_series(0, {n - 1}) AS i) g
            JOIN sku_part sp ON sp.sku = g.sku;
            INSERT INTO stock (sku, available, last_seq)
            SELECT sku, {INITIAL} - max(seq), max(seq) FROM ledger GROUP BY sku
            ON CONFLICT (sku) DO UPDATE SET available = excluded.available, last_seq = excluded.last_seq;
            INSERT INTO journal_cursor (journal_partition, persisted_through)
            SELECT DISTINCT ON (journal_partition) journal_partition, stream_id FROM ledger ORDER BY journal_partition, journal_at DESC
            ON CONFLICT (journal_partition) DO UPDATE SET persisted_through = excluded.persisted_through;
            ANALYZE ledger; ANALYZE stock;""")
        rows = int(psql(db, "SELECT count(*) FROM ledger"))
        in_ttl = int(psql(db, "SELECT count(*) FROM ledger WHERE journal_at > now() - interval '7 days'"))
        print(f"[bench-rebuild] filled {rows} ledger rows ({in_ttl} within 7 days) over {args.skus} SKUs in {time.monotonic() - started:.1f} s", flush=True)

        # Wipe: the private Redis loses everything, as after a restart without persistence.
        subprocess.run(rcli + ["FLUSHALL"], check=True, capture_output=True)
        t0 = time.monotonic()
        print("[bench-rebuild] FLUSHALL; sampling every 200 ms", flush=True)
        samples, opened, stop = [], {}, threading.Event()
        health_max = [0.0, ""]
        phases = {}
        max_rss = [rss_mb(server.pid)]

        def health_loop():
            while not stop.is_set():
                tick = time.monotonic()
                status, body, took = request(hport, "GET", "/api/health", timeout=5)
                rss = rss_mb(server.pid)
                max_rss[0] = max(max_rss[0], rss)
                text = body.decode(errors="replace")
                try:
                    redis_dep = next(d for d in json.loads(text)["dependencies"] if d["name"] == "redis")
                    run_state = (redis_dep.get("data") or {}).get("rebuild")
                    phase = run_state.get("phase") if run_state else ("none" if status == 200 else "waiting")
                    if phase not in phases:
                        phases[phase] = tick - t0
                except (ValueError, KeyError, StopIteration, AttributeError):
                    pass
                samples.append((round(tick - t0, 2), status, round(took * 1000, 1), round(rss), text[:400]))
                if took > health_max[0]:
                    health_max[0], health_max[1] = took, f"at {tick - t0:.1f} s status {status}"
                stop.wait(max(0.0, 0.2 - (time.monotonic() - tick)))

        probe_ids = {}
        counter = [0]

        def order_id_home(p):
            while True:
                counter[0] += 1
                oid = f"probe-{run}-{counter[0]}"
                if home_of(oid) == p:
                    return oid

        def probe_loop():
            while not stop.is_set() and len(opened) < len(by_partition):
                tick = time.monotonic()
                for p, sku in by_partition.items():
                    if p in opened:
                        continue
                    oid = probe_ids.setdefault(p, order_id_home(p))
                    status, body, _ = request(hport, "POST", "/api/deductions", {"orderId": oid, "lines": [{"sku": sku, "quantity": 1}]}, key)
                    if status == 200:
                        opened[p] = time.monotonic() - t0
                        print(f"[bench-rebuild] partition {p} sells at {opened[p]:.1f} s", flush=True)
                    if status not in (200, 503):
                        print(f"[bench-rebuild] partition {p}: {status} {body[:200]!r}", flush=True)
                    # a 503 refusal deducted nothing (or, if unknown, the retry under the same id replays it)
                stop.wait(max(0.0, 0.2 - (time.monotonic() - tick)))

        th = threading.Thread(target=health_loop, daemon=True)
        tp = threading.Thread(target=probe_loop, daemon=True)
        th.start(); tp.start()
        tp.join(args.timeout)
        all_open = time.monotonic() - t0
        time.sleep(2)
        stop.set(); th.join()
        with open(os.path.join(log_dir, "samples.jsonl"), "w") as f:
            for s in samples:
                f.write(json.dumps(s) + "\n")
        first = min(opened.values()) if opened else None
        last = max(opened.values()) if len(opened) == len(by_partition) else None
        over_1s = sum(1 for s in samples if s[2] > 1000 or s[1] == 0)

        # Redis == SQL once the engine has persisted the probes
        def redis_stock():
            out = {}
            for p in range(PARTITIONS):
                keys = subprocess.run(rcli + ["--scan", "--pattern", f"*:{p}}}:stock"], capture_output=True, text=True).stdout.split()
                for k in keys:
                    flat = subprocess.run(rcli + ["HGETALL", k], capture_output=True, text=True).stdout.split()
                    out.update({flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)})
            return out

        mismatches = None
        for _ in range(60):
            r = redis_stock()
            s = dict(line.split("|") for line in psql(db, "SELECT sku, available FROM stock").splitlines())
            mismatches = [k for k in s if r.get(k) != int(s[k])]
            if not mismatches:
                break
            time.sleep(1)
        print()
        print(f"ledger rows {rows} (orders {n}, {in_ttl} within the TTL), SKUs {args.skus}, partitions with stock {len(by_partition)}")
        print(f"first partition selling after the wipe: {first:.1f} s" if first is not None else "first partition: never")
        print(f"all partitions selling: {last:.1f} s" if last is not None else f"all partitions: not within {args.timeout:.0f} s ({len(opened)} open)")
        print(f"server RSS max {max_rss[0]:.0f} MB over {len(samples)} samples; health latency max {health_max[0] * 1000:.0f} ms ({health_max[1]}), "
              f"samples over 1 s or unanswered: {over_1s}")
        print("health's rebuild phase first seen at: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
        lat = sorted(x[2] for x in samples)
        if lat:
            print(f"health latency p50 {lat[len(lat) // 2]:.0f} ms, p95 {lat[int(len(lat) * 0.95)]:.0f} ms")
        print(f"Redis stock == SQL stock: {'yes' if not mismatches else f'NO ({len(mismatches)} SKUs differ, e.g. {mismatches[:3]})'}")
        print(f"samples: {os.path.join(log_dir, 'samples.jsonl')}")
    finally:
        stop_all()
        try:
            psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        except Exception as e:  # noqa: BLE001
            print(f"[bench-rebuild] could not drop {db}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
