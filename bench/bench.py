#!/usr/bin/env python3
"""pg_migrate benchmark driver (standard library only); bench/run.sh calls it.

  bench.py generate --dir D [--big]   writes the corpora (corpora.py) into D
  bench.py run ...                    measures against the cluster run.sh started

Every contender applies the same SQL to a fresh database of one throwaway
cluster; wall clock around one client command (process start-up and
connection included), BENCH_REPS repetitions in rotating order (the first
repetition runs the floors first: they set each workload's time-out), median
and range.  Peak backend RSS: VmHWM from /proc of the backend, read by the
session itself at its end, or (marked ~) sampled every 50 ms from /proc for
processes the bench does not control (peers' backends, the job worker).
Before a contender's time is trusted its schema (pg_dump --schema-only, each
tool's own tracking table or schema excluded) is compared with psql -1's.
"""

import argparse
import datetime
import hashlib
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpora  # noqa: E402


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def lit(s):
    return "'" + s.replace("'", "''") + "'"


T0_SQL = "SELECT set_config('bench.t0', clock_timestamp()::text, false)"
END_SQL = (r"SELECT extract(epoch FROM clock_timestamp() - current_setting('bench.t0')::timestamptz), "
           r"(regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s*(\d+) kB'))[1]")

BENCH_MS_SQL = r"""
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE FUNCTION bench.ms(q text) RETURNS double precision
LANGUAGE plpgsql AS $fn$
DECLARE t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE q;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$fn$;
"""


# ---------------------------------------------------------------- /proc

def proc_status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def proc_cpu_s(pid):
    """CPU seconds the process used: schedstat's run time (ns) where the
    kernel keeps it, else utime + stime (clock ticks, 10 ms granularity)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid) as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


POSTMASTER = [None]     # pid of the bench's own postmaster (other clusters run on this machine)


def postmaster_pid(datadir):
    with open(os.path.join(datadir, "postmaster.pid")) as f:
        POSTMASTER[0] = int(f.readline())
    return POSTMASTER[0]


def find_procs(pattern):
    """pids of the bench cluster's processes whose title matches the regex."""
    rx = re.compile(pattern)
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        if POSTMASTER[0] is not None and proc_status(int(d), "PPid") != POSTMASTER[0]:
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if rx.search(cmd):
            out.append(int(d))
    return out


class Sampler:
    """Highest VmHWM (kB) of the processes whose title matches, every 50 ms."""

    def __init__(self, pattern):
        self.pattern = pattern
        self.peak = {}
        self.stop_ev = threading.Event()
        self.th = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop_ev.is_set():
            for pid in find_procs(self.pattern):
                v = proc_status(pid, "VmHWM")
                if v:
                    self.peak[pid] = max(self.peak.get(pid, 0), v)
            self.stop_ev.wait(0.05)

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        self.th.join()

    def kb(self):
        return max(self.peak.values()) if self.peak else None


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, a):
        self.a = a
        self.bindir = a.pgbin
        self.psql_bin = os.path.join(a.pgbin, "psql")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env.update(PGHOST=a.host, PGPORT=str(a.port), PGUSER="postgres", PGAPPNAME="bench")

    def psql_cmd(self, db, *extra):
        return [self.psql_bin, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db] + list(extra)

    def psql(self, db, *extra, stdin=None, what=None):
        cmd = self.psql_cmd(db, *extra)
        r = subprocess.run(cmd, env=self.env, input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("%s failed (exit %d):\n  $ %s\n%s" % (what or "psql", r.returncode,
                             shlex.join(cmd)[:300], (r.stderr + r.stdout).strip()[-2000:]))
        return r.stdout

    def sql(self, db, q):
        return self.psql(db, "-c", q, what=q[:200]).strip()

    def exists_proc(self, db, name):
        return self.sql(db, "SELECT count(*) FROM pg_proc WHERE proname = %s" % lit(name)) != "0"

    def pg_ctl(self, *args):
        cmd = list(self.a.as_owner) + [os.path.join(self.bindir, "pg_ctl"), "-D", self.a.datadir,
                                        "-l", self.a.logfile, "-w", "-t", "120"] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("pg_ctl %s failed: %s" % (" ".join(args), r.stderr + r.stdout))


# ---------------------------------------------------------------- contenders

from contenders import ALL, FLOORS, OURS, PEERS  # noqa: E402,F401

# tracking tables and schemas of each tool, left out of the schema comparison
EXCLUDE = ["--exclude-schema=pgmigrate", "--exclude-schema=sqitch", "--exclude-schema=bench",
           "-T", "public.schema_migrations", "-T", "public.pgmigrations", "-T", "public.pgmigrations_id_seq",
           "-T", "public.migrations"]


class Bench:
    def __init__(self, a):
        self.a = a
        self.srv = Server(a)
        self.dbseq = 0
        self.na = {}            # contender -> why not available (everywhere)
        self.results = {}       # (workload, contender) -> dict
        self.schema_ref = {}
        self.extra = {}         # other measures
        self.notes = []
        self.npm_bin = os.path.join(a.cache, "npm", "node_modules", ".bin")
        self.npm_mod = os.path.join(a.cache, "npm", "node_modules")

    # -------------------------------------------------------- availability
    def probe(self):
        db = self.fresh_db("probe", ext=True)
        self.has_run = self.srv.exists_proc(db, "migrate_run")
        self.has_async = self.srv.exists_proc(db, "migrate_apply_async")
        self.has_batch = self.has_run   # batched migrations came with migrate_run (1.1)
        self.drop(db)
        if not self.has_run:
            self.na["CALL migrate_run"] = "no procedure migrate_run in pg_proc"
        if not self.has_async:
            self.na["worker (async+wait)"] = "no function migrate_apply_async in pg_proc"
        if not os.access(self.a.onemsg, os.X_OK):
            self.na["one message"] = "bench/onemsg.c not built (libpq-dev missing?)"
        for tool, path in (("dbmate", os.path.join(self.npm_bin, "dbmate")),
                           ("node-pg-migrate", os.path.join(self.npm_bin, "node-pg-migrate")),
                           ("postgres-migrations", os.path.join(self.npm_mod, "postgres-migrations"))):
            if not os.path.exists(path):
                self.na[tool] = "not installed (npm, see bench/.cache/npm.log)"
        if shutil.which("sqitch") is None or subprocess.run(["perl", "-MDBD::Pg", "-e1"],
                                                            capture_output=True).returncode != 0:
            self.na["sqitch"] = "sqitch or libdbd-pg-perl not installed"
        for c, why in self.na.items():
            log("n/a %s: %s" % (c, why))

    # -------------------------------------------------------- databases
    def fresh_db(self, tag, ext):
        self.dbseq += 1
        db = "b%d_%s" % (self.dbseq, re.sub(r"[^a-z0-9]+", "_", tag.lower()))[:60]
        self.srv.sql("postgres", "CREATE DATABASE %s" % db)
        if ext:
            self.srv.sql(db, "CREATE EXTENSION pg_migrate")
        self.srv.sql(db, "SELECT 1")        # relcache init file built before timing
        return db

    def drop(self, db):
        self.srv.sql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)

    def schema(self, db):
        cmd = [os.path.join(self.srv.bindir, "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
               "-d", db] + EXCLUDE
        r = subprocess.run(cmd, env=self.srv.env, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("pg_dump %s: %s" % (db, r.stderr))
        keep = [ln for ln in r.stdout.splitlines()
                if ln and not ln.startswith("--") and not ln.startswith("SET ")
                and not ln.startswith("SELECT pg_catalog.set_config")
                and "EXTENSION" not in ln and not ln.startswith("\\restrict")
                and not ln.startswith("\\unrestrict")]
        return "\n".join(keep) + "\n"

    # -------------------------------------------------------- one run
    def command(self, w, c, db):
        """(argv, env, cwd, parse(stdout) -> (applied count or None, server s, rss kB), sampled pattern)"""
        s = self.srv
        d = w["dir"]
        env = dict(s.env)
        gdir = os.path.join(d, "golang")

        def psql_end(out):
            last = out.strip().splitlines()[-1].split("|")
            return float(last[0]), int(last[1])

        if c == "one message":
            def parse(out):
                sec, kb = out.split()
                return None, float(sec), int(kb)
            env["PGDATABASE"] = db
            return [self.a.onemsg, os.path.join(d, "all.sql")], env, None, parse, None
        if c == "psql -1 -f":
            def parse(out):
                return (None,) + psql_end(out)
            return s.psql_cmd(db, "-1", "-c", T0_SQL, "-f", os.path.join(d, "all.sql"), "-c", END_SQL), \
                env, None, parse, None
        if c == "psql, txn per file":
            def parse(out):
                return (None,) + psql_end(out)
            return s.psql_cmd(db, "-c", T0_SQL, "-f", os.path.join(d, "pertxn.sql"), "-c", END_SQL), \
                env, None, parse, None
        if c == "migrate_apply":
            def parse(out):
                lines = out.strip().splitlines()
                return (int(lines[-2]),) + psql_end(out)
            return s.psql_cmd(db, "-c", T0_SQL, "-c", "SELECT count(*) FROM migrate_apply(%s)" % lit(gdir),
                              "-c", END_SQL), env, None, parse, None
        if c == "CALL migrate_run":
            def parse(out):
                return (None,) + psql_end(out)
            return s.psql_cmd(db, "-c", T0_SQL, "-c", "CALL migrate_run(%s)" % lit(gdir), "-c", END_SQL), \
                env, None, parse, None
        if c == "worker (async+wait)":
            def parse(out):
                lines = out.strip().splitlines()
                if lines[-2] != "succeeded":
                    raise BenchError("worker job ended %r" % lines[-2])
                sec, _ = psql_end(out)
                return None, sec, None
            return s.psql_cmd(db, "-c", T0_SQL,
                              "-c", "SELECT set_config('bench.job', migrate_apply_async(%s)::text, false)" % lit(gdir),
                              "-c", "SELECT migrate_wait(current_setting('bench.job')::bigint)",
                              "-c", END_SQL), env, None, parse, r"pg_migrate job"
        sampled = r"^postgres: postgres %s " % db
        if c == "dbmate":
            url = "postgres://postgres@/%s?socket=%s&sslmode=disable" % (db, self.a.host)
            return [os.path.join(self.npm_bin, "dbmate"), "--url", url, "--migrations-dir",
                    os.path.join(d, "dbmate"), "--no-dump-schema", "up"], env, None, \
                lambda out: (None, None, None), sampled
        if c == "node-pg-migrate":
            env["DATABASE_URL"] = "postgres://postgres@localhost/%s?host=%s&port=%d&sslmode=disable" % (db, self.a.host, self.a.port)
            return [os.path.join(self.npm_bin, "node-pg-migrate"), "up", "-m", os.path.join(d, "npgm"),
                    "--no-verbose"], env, None, \
                lambda out: (None, None, None), sampled
        if c == "postgres-migrations":
            env["PGDATABASE"] = db

            def parse(out):
                return int(out.strip().splitlines()[-1]), None, None
            return ["node", os.path.join(self.a.benchdir, "pgmig.js"), self.npm_mod, os.path.join(d, "pgmig")], \
                env, None, parse, sampled
        if c == "sqitch":
            env.update(SQITCH_USER_NAME="bench", SQITCH_USER_EMAIL="bench@example.invalid",
                       SQITCH_CONFIG=os.path.join(self.a.work, "sqitch-user.conf"),
                       SQITCH_SYSTEM_CONFIG=os.path.join(self.a.work, "sqitch-system.conf"))
            return ["sqitch", "deploy", "--target", "db:pg:%s" % db], env, os.path.join(d, "sqitch"), \
                lambda out: (None, None, None), sampled
        raise AssertionError(c)

    def run_once(self, w, c, timeout, compare):
        db = self.fresh_db("%s_%s" % (w["name"], c), ext=c in OURS)
        argv, env, cwd, parse, pattern = self.command(w, c, db)
        try:
            with Sampler(pattern) if pattern else _Null() as smp:
                t0 = time.perf_counter()
                p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
                try:
                    out, err = p.communicate(timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.communicate()
                    self.srv.sql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s" % lit(db))
                    return {"timeout": timeout}
                secs = time.perf_counter() - t0
            if p.returncode != 0:
                raise BenchError("%s on %s failed (exit %d):\n  $ %s\n%s"
                                 % (c, w["name"], p.returncode, shlex.join(argv)[:300], (err + out)[-3000:]))
            applied, server_s, kb = parse(out)
            if pattern:
                kb = smp.kb()
            if c == "postgres-migrations" and applied is not None:
                applied -= 1        # its own 0_create-migrations-table
            if applied is not None and applied != w["n"]:
                raise BenchError("%s on %s applied %d migrations, expected %d" % (c, w["name"], applied, w["n"]))
            if c in OURS:
                # every version recorded, clean (golang-migrate's table keeps the last one)
                got = self.srv.sql(db, "SELECT version || ' ' || dirty FROM schema_migrations")
                if got != "%d false" % w["n"]:
                    raise BenchError("%s on %s left schema_migrations at %r, expected '%d false'"
                                     % (c, w["name"], got, w["n"]))
            res = {"secs": secs, "server": server_s, "kb": kb, "sampled": bool(pattern)}
            if compare:
                res["schema_ok"] = self.compare(w, c, db)
            if w["name"] in ("tiny", "tiny10k") and c in ("migrate_apply",) + tuple(PEERS):
                old = self.last_db.pop((w["name"], c), None)
                if old:
                    self.drop(old)
                self.last_db[(w["name"], c)] = db       # kept for the no-op
                db = None
            return res
        finally:
            if db:
                self.drop(db)

    def compare(self, w, c, db):
        got = self.schema(db)
        ref, refc = self.schema_ref.get(w["name"], (None, None))
        if ref is None:
            self.schema_ref[w["name"]] = (got, c)
            return True
        if got == ref:
            return True
        path = os.path.join(self.a.outdir, "schema-diff-%s-%s.txt" % (w["name"], re.sub(r"\W+", "_", c)))
        import difflib
        with open(path, "w") as f:
            f.writelines(difflib.unified_diff(ref.splitlines(True), got.splitlines(True), refc, c))
        log("SCHEMA MISMATCH %s on %s: see %s" % (c, w["name"], path))
        return False

    # -------------------------------------------------------- workloads
    def contenders_for(self, w):
        out = []
        for c in ALL:
            if c in self.na:
                self.results[(w["name"], c)] = {"na": self.na[c]}
            elif c in PEERS and not w["peers"]:
                self.results[(w["name"], c)] = {"na": "peers skipped on %s (BENCH_PEERS_ALL=1 runs them)"
                                                % w["name"]}
            elif w["name"] == "big256" and c in OURS and self.predict_skip(c):
                self.results[(w["name"], c)] = {"na": self.predict_skip(c)}
            else:
                out.append(c)
        return out

    def predict_skip(self, c):
        """A contender more than 4x psql -1 on 16 MB is superlinear: 256 MB would not finish."""
        r16 = self.results.get(("big16", c), {})
        f16 = self.results.get(("big16", "psql -1 -f"), {})
        if "median" in r16 and "median" in f16 and r16["median"] > 4 * f16["median"]:
            return "skipped: %.1fx psql -1 -f on 16 MB, so 256 MB would take ~%.0f s or more" % (
                r16["median"] / f16["median"], r16["median"] * 16)
        if "timeout" in r16:
            return "skipped: timed out on 16 MB"
        return None

    def run_workload(self, w):
        cs = self.contenders_for(w)
        times = {c: [] for c in cs}
        info = {c: {} for c in cs}
        dead = {}
        floor_best = None
        for rep in range(self.a.reps):
            order = cs[rep % len(cs):] + cs[:rep % len(cs)]
            for c in order:
                if c in dead:
                    continue
                timeout = self.a.timeout_max if floor_best is None else \
                    max(self.a.timeout_min, self.a.timeout_factor * floor_best)
                r = self.run_once(w, c, timeout, compare=(rep == 0))
                if "timeout" in r:
                    dead[c] = r["timeout"]
                    log("%-8s rep %d %-22s TIMEOUT after %.0f s (no further reps)" % (w["name"], rep + 1, c,
                                                                                    r["timeout"]))
                    continue
                times[c].append(r["secs"])
                for k in ("server", "kb"):
                    if r.get(k) is not None:
                        info[c].setdefault(k, []).append(r[k])
                info[c]["sampled"] = r["sampled"]
                if "schema_ok" in r:
                    info[c]["schema_ok"] = r["schema_ok"]
                if c in FLOORS:
                    floor_best = r["secs"] if floor_best is None else min(floor_best, r["secs"])
                log("%-8s rep %d %-22s %9.3f s%s" % (w["name"], rep + 1, c, r["secs"],
                                                     "" if r.get("server") is None else
                                                     "  (server %.3f s)" % r["server"]))
        for c in cs:
            res = {"times": times[c], "sampled": info[c].get("sampled"), "schema_ok": info[c].get("schema_ok")}
            if c in dead:
                res["timeout"] = dead[c]
            if times[c]:
                res["median"] = statistics.median(times[c])
                res["min"], res["max"] = min(times[c]), max(times[c])
                if info[c].get("server"):
                    res["server"] = statistics.median(info[c]["server"])
                if info[c].get("kb"):
                    res["kb"] = max(info[c]["kb"])
            self.results[(w["name"], c)] = res

    # -------------------------------------------------------- no-op etc.
    def server_ms(self, db, query, calls):
        self.srv.psql(db, stdin=BENCH_MS_SQL, what="bench.ms")
        stmt = "SELECT bench.ms(%s);\n" % lit(query)
        out = self.srv.psql(db, stdin=stmt * (3 + calls), what="timing %s" % query)
        vals = [float(x) for x in out.split()][3:]
        return statistics.median(vals), min(vals), max(vals)

    def whole_s(self, argv, env, cwd, calls):
        vals = []
        for _ in range(calls):
            t0 = time.perf_counter()
            r = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
            vals.append(time.perf_counter() - t0)
            if r.returncode != 0:
                raise BenchError("no-op %s failed: %s" % (shlex.join(argv)[:200], (r.stderr + r.stdout)[-1000:]))
        return statistics.median(vals), min(vals), max(vals)

    def noops(self, wl):
        calls = self.a.noop_calls
        for name in ("tiny", "tiny10k"):
            w = wl.get(name)
            db = self.last_db.get((name, "migrate_apply"))
            if not w or not db:
                continue
            gdir = os.path.join(w["dir"], "golang")
            n = "1,000" if name == "tiny" else "10,000"
            q = "SELECT count(*) FROM migrate_apply(%s)" % lit(gdir)
            if self.srv.sql(db, q) != "0":
                raise BenchError("no-op migrate_apply on %s applied something" % name)
            self.extra["noop server %s" % name] = self.server_ms(db, q, calls)
            self.extra["noop whole %s" % name] = self.whole_s(self.srv.psql_cmd(db, "-c", q), self.srv.env,
                                                              None, calls)
            st = "SELECT count(*) FROM migrate_status(%s)" % lit(gdir)
            self.extra["status server %s" % name] = self.server_ms(db, st, calls)
            if name == "tiny":
                self.extra["lint server tiny"] = self.server_ms(
                    db, "SELECT count(*) FROM migrate_lint(%s, pending_only => false)" % lit(gdir), calls)
            for k in ("noop server %s", "noop whole %s", "status server %s"):
                log("%-28s %9.2f ms" % (k % name, self.extra[k % name][0] * (1000 if "whole" in k else 1)))
            # peers' no-op: the whole command again on the database it applied
            for c in PEERS:
                pdb = self.last_db.get((name, c))
                if not pdb:
                    continue
                argv, env, cwd, _, _ = self.command(w, c, pdb)
                self.extra["noop whole %s %s" % (name, c)] = self.whole_s(argv, env, cwd, min(calls, 5))
                log("no-op %-8s %-22s %9.3f s" % (name, c, self.extra["noop whole %s %s" % (name, c)][0]))
        self.detection(wl.get("tiny"))

    def detection(self, w):
        """The no-op must still see a modified (same size and mtime), a missing and an added file."""
        if not w:
            return
        src = os.path.join(w["dir"], "golang")
        d = os.path.join(self.a.work, "detect")
        shutil.copytree(src, d)
        shutil.chown(d, self.a.owner)
        for f in os.listdir(d):
            shutil.chown(os.path.join(d, f), self.a.owner)
        db = self.fresh_db("detect", ext=True)
        self.srv.sql(db, "SELECT count(*) FROM migrate_apply(%s)" % lit(d))
        self.srv.sql(db, "SELECT count(*) FROM migrate_status(%s)" % lit(d))     # warm any cache
        f500 = os.path.join(d, "000500_create_t_500.up.sql")
        st = os.stat(f500)
        with open(f500, "r+") as f:
            body = f.read()
            f.seek(0)
            f.write(body.replace("id int", "ix int"))
        os.utime(f500, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.unlink(os.path.join(d, "000501_create_t_501.up.sql"))
        add = os.path.join(d, "001001_create_t_1001.up.sql")
        with open(add, "w") as f:
            f.write("CREATE TABLE t_1001 (id int);\n")
        shutil.chown(add, self.a.owner)
        got = self.srv.sql(db, "SELECT string_agg(version || ' ' || state, ', ' ORDER BY version) "
                               "FROM migrate_status(%s) WHERE state <> 'applied'" % lit(d))
        self.extra["detect"] = got
        self.drop(db)

    # -------------------------------------------------------- preloaded worker
    def worker(self, wl):
        w = wl.get("tiny10k")
        if not w:
            return
        a = self.a
        src = os.path.join(w["dir"], "golang")
        d = os.path.join(a.work, "worker-folder")
        shutil.copytree(src, d)
        subprocess.run(["chown", "-R", a.owner, d], check=True)
        self.srv.sql("postgres", "CREATE DATABASE bench_worker")
        with open(os.path.join(a.datadir, "postgresql.conf"), "a") as f:
            f.write("shared_preload_libraries = 'pg_migrate'\npg_migrate.database = 'bench_worker'\n"
                    "pg_migrate.interval = 1s\npg_migrate.role = 'postgres'\n")
        self.srv.pg_ctl("restart", "-m", "fast")
        postmaster_pid(a.datadir)
        sched = None
        for _ in range(100):
            pids = find_procs(r"pg_migrate scheduler")
            if pids:
                sched = pids[0]
                break
            time.sleep(0.2)
        if not sched:
            self.extra["worker"] = {"na": "no pg_migrate scheduler process after restart"}
            return
        time.sleep(3)
        sched = (find_procs(r"pg_migrate scheduler") or [sched])[0]
        # private memory: VmRSS also counts the shared buffers the worker touched
        idle_kb = proc_status(sched, "RssAnon")
        self.srv.sql("postgres", "ALTER SYSTEM SET pg_migrate.directory = %s" % lit(d))
        t0 = time.perf_counter()
        self.srv.sql("postgres", "SELECT pg_reload_conf()")
        applied_s = None
        while time.perf_counter() - t0 < a.timeout_max:
            try:
                n = self.srv.sql("bench_worker", "SELECT coalesce(max(version), 0) FROM schema_migrations")
            except BenchError:
                n = "0"
            if n == str(w["n"]):
                applied_s = time.perf_counter() - t0
                break
            time.sleep(0.2)
        res = {"idle_kb": idle_kb, "apply_s": applied_s}
        if applied_s is None:
            res["na"] = "the worker did not apply the 10,000 files within %d s" % a.timeout_max
            self.extra["worker"] = res
            return
        time.sleep(3)
        now = find_procs(r"pg_migrate scheduler")
        res["same_pid"] = sched in now
        res["after_kb"] = proc_status(now[0], "RssAnon") if now else None
        # idle CPU: the launcher and the scheduler together
        pids = find_procs(r"pg_migrate (launcher|scheduler)")
        c0 = sum(proc_cpu_s(p) for p in pids)
        w0 = time.perf_counter()
        time.sleep(a.idle_seconds)
        c1 = sum(proc_cpu_s(p) for p in pids if os.path.exists("/proc/%d" % p))
        res["idle_cpu_pct"] = 100.0 * (c1 - c0) / (time.perf_counter() - w0)
        res["idle_s"] = a.idle_seconds
        res["idle_pids"] = len(pids)
        # a new file: applied within the interval?
        add = os.path.join(d, "%06d_create_t_%d.up.sql" % (w["n"] + 1, w["n"] + 1))
        with open(add, "w") as f:
            f.write("CREATE TABLE t_%d (id int);\n" % (w["n"] + 1))
        shutil.chown(add, a.owner)
        t0 = time.perf_counter()
        res["new_file_s"] = None
        while time.perf_counter() - t0 < 30:
            if self.srv.sql("bench_worker", "SELECT max(version) FROM schema_migrations") == str(w["n"] + 1):
                res["new_file_s"] = time.perf_counter() - t0
                break
            time.sleep(0.05)
        self.extra["worker"] = res
        log("worker: idle %s kB, applied 10,000 in %.1f s, after %s kB, idle CPU %.3f%%, new file %s s"
            % (idle_kb, applied_s, res["after_kb"], res["idle_cpu_pct"], res["new_file_s"]))

    # -------------------------------------------------------- batches
    BATCH_ROWS = 200000
    BATCH_SIZE = 1000
    BATCH_SQL = ("UPDATE bt SET v = id WHERE id IN "
                 "(SELECT id FROM bt WHERE v IS NULL ORDER BY id LIMIT %d);\n")
    BATCH_SETUP = ("CREATE TABLE bt (id int PRIMARY KEY, v int);\n"
                   "INSERT INTO bt (id) SELECT generate_series(1, %d);\n"
                   "CREATE INDEX bt_todo ON bt (id) WHERE v IS NULL;\n"
                   "VACUUM ANALYZE bt;\n")

    def batch(self):
        """Per-batch overhead: a batched data migration through CALL migrate_run
        against the same statement run by psql in autocommit mode, one commit per
        batch, as many times as there are batches (plus the one that changes no row)."""
        if not self.has_batch:
            self.extra["batch"] = {"na": "no batched data migrations (no migrate_run)"}
            return
        a = self.a
        d = os.path.join(a.work, "batch-folder")
        os.makedirs(d, exist_ok=True)
        stmt = self.BATCH_SQL % self.BATCH_SIZE
        with open(os.path.join(d, "1_backfill.up.sql"), "w") as f:
            f.write("-- pg_migrate:batch\n" + stmt)
        subprocess.run(["chown", "-R", a.owner, d], check=True)
        nbatches = self.BATCH_ROWS // self.BATCH_SIZE + 1
        loop = stmt * nbatches
        times = {"psql loop": [], "CALL migrate_run": []}
        for rep in range(a.reps):
            order = ["psql loop", "CALL migrate_run"]
            if rep % 2:
                order.reverse()
            for c in order:
                db = self.fresh_db("batch", ext=(c != "psql loop"))
                self.srv.psql(db, stdin=self.BATCH_SETUP % self.BATCH_ROWS, what="batch setup")
                if c == "psql loop":
                    argv = self.srv.psql_cmd(db)
                    stdin = loop
                else:
                    argv = self.srv.psql_cmd(db, "-c", "CALL migrate_run(%s)" % lit(d))
                    stdin = None
                t0 = time.perf_counter()
                r = subprocess.run(argv, env=self.srv.env, input=stdin, capture_output=True, text=True)
                times[c].append(time.perf_counter() - t0)
                if r.returncode != 0:
                    raise BenchError("batch %s failed: %s" % (c, (r.stderr + r.stdout)[-1000:]))
                left = self.srv.sql(db, "SELECT count(*) FROM bt WHERE v IS NULL")
                if left != "0":
                    raise BenchError("batch %s left %s rows" % (c, left))
                self.drop(db)
        res = {"batches": nbatches, "rows": self.BATCH_ROWS, "size": self.BATCH_SIZE}
        for c, v in times.items():
            res[c] = (statistics.median(v), min(v), max(v))
        res["ratio"] = res["CALL migrate_run"][0] / res["psql loop"][0]
        self.extra["batch"] = res
        log("batch: %d batches of %d rows: psql loop %.3f s, migrate_run %.3f s (%.3fx)"
            % (nbatches, self.BATCH_SIZE, res["psql loop"][0], res["CALL migrate_run"][0], res["ratio"]))

    # -------------------------------------------------------- main
    def run(self):
        a = self.a
        self.last_db = {}
        self.version = self.srv.sql("postgres", "SHOW server_version")
        self.started = datetime.datetime.now().astimezone()
        t_start = time.perf_counter()
        with open(os.path.join(a.work, "sqitch-system.conf"), "w") as f:
            f.write('[core]\n\tengine = pg\n[engine "pg"]\n\tclient = %s\n' % self.srv.psql_bin)
        open(os.path.join(a.work, "sqitch-user.conf"), "w").close()
        postmaster_pid(a.datadir)
        self.probe()
        wl = {}
        for name in a.workloads.split(","):
            wl[name] = read_meta(a.corpora, name)
        for name, w in wl.items():
            log("workload %s: %d migrations, %.1f MB" % (name, w["n"], w["bytes"] / 1048576))
            self.run_workload(w)
        self.noops(wl)
        self.batch()
        for db in self.last_db.values():
            self.drop(db)
        self.last_db = {}
        if a.worker:
            self.worker(wl)
        self.total = time.perf_counter() - t_start
        import report
        text = report.render(self, wl)
        with open(os.path.join(a.benchdir, "results.md"), "w") as f:
            f.write(text)
        print(text, end="")


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        pass


def read_meta(root, name):
    with open(os.path.join(root, name, "meta")) as f:
        n, size, peers = f.read().split()
    return {"name": name, "dir": os.path.join(root, name), "n": int(n), "bytes": int(size),
            "peers": os.path.isdir(os.path.join(root, name, "dbmate"))}


def cmd_generate(a):
    for name, gen, peers in corpora.workloads(a.big):
        if a.only and name not in a.only.split(","):
            continue
        t0 = time.perf_counter()
        peers = peers or a.peers_all
        w = corpora.generate(a.dir, name, gen(), peers)
        with open(os.path.join(w["dir"], "meta"), "w") as f:
            f.write("%d %d %d\n" % (w["n"], w["bytes"], 1 if peers else 0))
        log("generated %-8s %6d migrations, %7.1f MB in %.1f s"
            % (name, w["n"], w["bytes"] / 1048576, time.perf_counter() - t0))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--dir", required=True)
    g.add_argument("--big", type=int, default=1)
    g.add_argument("--only", default="")
    g.add_argument("--peers-all", type=int, default=0)
    r = sub.add_parser("run")
    for k in ("pgbin", "host", "corpora", "work", "datadir", "logfile", "onemsg", "cache", "benchdir",
              "outdir", "owner", "workloads", "machine", "fs", "build"):
        r.add_argument("--" + k, required=True)
    r.add_argument("--as-owner", default="")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--reps", type=int, default=5)
    r.add_argument("--noop-calls", type=int, default=25)
    r.add_argument("--timeout-min", type=float, default=60)
    r.add_argument("--timeout-max", type=float, default=900)
    r.add_argument("--timeout-factor", type=float, default=10)
    r.add_argument("--idle-seconds", type=float, default=30)
    r.add_argument("--worker", type=int, default=1)
    r.add_argument("--installed", default="")
    v = sub.add_parser("render")
    v.add_argument("raw", help="bench/out/raw.json of a finished run")
    a = p.parse_args()
    if a.cmd == "render":
        import report
        raw = report.Raw(a.raw)
        text = report.render(raw, raw.wl)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md"), "w") as f:
            f.write(text)
        print(text, end="")
        return
    if a.cmd == "generate":
        cmd_generate(a)
        return
    a.as_owner = a.as_owner.split() if a.as_owner else []
    try:
        Bench(a).run()
    except BenchError as e:
        log("ERROR: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
