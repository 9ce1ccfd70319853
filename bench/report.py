"""bench/results.md from a finished Bench (bench.py): the table, the other
measures, and issue 13's targets, each PASS, MISS or n/a."""

import os

from contenders import ALL

FLOOR_SHORT = [("one message", "x 1-msg"), ("psql -1 -f", "x psql -1"), ("psql, txn per file", "x psql/file")]
LABEL = {"tiny": "1,000 tiny", "mix": "200 realistic", "heavy": "30 heavy data", "big16": "16 MB file",
         "single2": "2 MB single-row", "big256": "256 MB file", "tiny10k": "10,000 tiny"}


def fmt_s(x):
    return "%.3f" % x if x < 100 else "%.0f" % x


def save_raw(b, wl, path):
    """Everything render() reads, as JSON: `bench.py render RAW` writes the report again."""
    import json
    raw = {"results": [[w, c, v] for (w, c), v in b.results.items()],
           "extra": b.extra, "wl": wl, "version": b.version, "started": b.started.isoformat(),
           "total": b.total, "args": vars(b.a)}
    with open(path, "w") as f:
        json.dump(raw, f, indent=1, default=str)


class Raw:
    """A finished Bench as save_raw() wrote it."""

    def __init__(self, path):
        import argparse
        import datetime
        import json
        with open(path) as f:
            raw = json.load(f)
        self.results = {(w, c): v for w, c, v in raw["results"]}
        self.extra = raw["extra"]
        self.wl = raw["wl"]
        self.version = raw["version"]
        self.started = datetime.datetime.fromisoformat(raw["started"])
        self.total = raw["total"]
        self.a = argparse.Namespace(**raw["args"])


def render(b, wl):
    try:
        os.makedirs(b.a.outdir, exist_ok=True)
        save_raw(b, wl, os.path.join(b.a.outdir, "raw.json"))
    except (OSError, TypeError, ValueError) as e:
        print("bench: could not save raw.json: %s" % e)
    R = b.results
    a = b.a
    L = []
    L.append("# pg_migrate benchmark (`make bench`)\n")
    L.append("- Date: %s" % b.started.strftime("%Y-%m-%d %H:%M %Z"))
    L.append("- Machine: %s" % a.machine)
    L.append("- PostgreSQL %s (%s); %s" % (b.version, a.pgbin, a.build))
    L.append("- One throwaway cluster on %s, fsync = off, autovacuum = off; a fresh database per run; "
             "median of %d repetitions in rotating order; whole client command (start-up, connection, "
             "commit) timed. Bench run took %.0f s." % (a.fs, a.reps, b.total))
    if a.installed:
        L.append("- Installed by the bench: %s" % a.installed)
    L.append("")
    L.append("| workload | contender | median s | range s | %s | server s | server x 1-msg | peak backend RSS MB "
             "| schema |" % " | ".join(s for _, s in FLOOR_SHORT))
    L.append("|---|---|---:|---|%s---:|---:|---:|---|" % ("---:|" * len(FLOOR_SHORT)))
    for name, w in wl.items():
        first = True
        for c in ALL:
            r = R.get((name, c))
            if r is None:
                continue
            lab = "%s (%d, %.1f MB)" % (LABEL.get(name, name), w["n"], w["bytes"] / 1048576) if first else ""
            first = False
            if "na" in r:
                L.append("| %s | %s | n/a: %s |  |%s |  |  |  |  |" % (lab, c, r["na"], "  |" * len(FLOOR_SHORT)))
                continue
            if "median" not in r:
                L.append("| %s | %s | n/a: timed out after %.0f s |  |%s |  |  |  |  |"
                         % (lab, c, r["timeout"], "  |" * len(FLOOR_SHORT)))
                continue
            ratios = []
            for f, _ in FLOOR_SHORT:
                fr = R.get((name, f), {})
                ratios.append("%.2f" % (r["median"] / fr["median"]) if "median" in fr else "-")
            rng = "%s-%s" % (fmt_s(r["min"]), fmt_s(r["max"]))
            if r.get("timeout"):
                rng += " (then timed out)"
            kb = r.get("kb")
            rss = "-" if kb is None else ("~" if r.get("sampled") else "") + "%.0f" % (kb / 1024)
            schema = {True: "same", False: "**MISMATCH**", None: "-"}[r.get("schema_ok")]
            server = "%s" % fmt_s(r["server"]) if r.get("server") is not None else "-"
            sr = sratio(b, name, c, "one message")
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                     % (lab, c, fmt_s(r["median"]), rng, " | ".join(ratios), server,
                        "%.2f" % sr if sr else "-", rss, schema))
    L.append("")
    L.append("Ratios: the contender's median over the floor's median. Server s: from the session's "
             "first statement to its last (no process start-up or connection; for psql -1 before its "
             "commit). RSS: VmHWM of the backend read by the session at its end (shared buffers "
             "it touched included); ~ = sampled every 50 ms from /proc (peers' backends, the job "
             "worker). Schema: `pg_dump --schema-only` of the result, each tool's tracking table or "
             "schema left out, against the first floor's.")
    L.append("Contenders: one message = bench/onemsg.c sends all.sql as ONE simple Query; psql -1 -f = "
             "the concatenated files in one transaction; psql, txn per file = one session, "
             "BEGIN/COMMIT around each file; migrate_apply = `SELECT count(*) FROM migrate_apply(dir)`; "
             "CALL migrate_run = `CALL migrate_run(dir)`; worker = `SELECT migrate_wait(migrate_apply_async(dir))`; "
             "dbmate up (a transaction per file); node-pg-migrate up (its default: all pending "
             "migrations in one transaction); postgres-migrations migrate() (a transaction per file, "
             "bench/pgmig.js); sqitch deploy (psql per change, each script its own BEGIN/COMMIT).")
    L.append("")

    X = b.extra
    L.append("## No-op, status, lint\n")
    L.append("| measure | median | range |")
    L.append("|---|---:|---|")

    def ms_row(label, key, scale=1.0, unit="ms"):
        v = X.get(key)
        if v:
            L.append("| %s | %.2f %s | %.2f-%.2f |" % (label, v[0] * scale, unit, v[1] * scale, v[2] * scale))
        else:
            L.append("| %s | n/a |  |" % label)
    for name, n in (("tiny", "1,000"), ("tiny10k", "10,000")):
        ms_row("migrate_apply no-op, %s applied files, server side" % n, "noop server %s" % name)
        ms_row("migrate_apply no-op, %s applied files, whole psql command" % n, "noop whole %s" % name, 1000)
        ms_row("migrate_status, %s files, server side" % n, "status server %s" % name)
        for c in ("dbmate", "node-pg-migrate", "postgres-migrations", "sqitch"):
            key = "noop whole %s %s" % (name, c)
            if key in X:
                ms_row("%s no-op, %s applied, whole command" % (c, n), key, 1000)
    ms_row("migrate_lint(pending_only => false), 1,000 files, server side", "lint server tiny")
    L.append("")
    if "detect" in X:
        L.append("Detection after the no-op timing (folder of 1,000 applied files; file 500 changed in "
                 "place with its size and mtime kept, 501 deleted, 1001 added): migrate_status "
                 "reports `%s`." % X["detect"])
        L.append("")

    bt = X.get("batch") or {}
    L.append("## Batched data migration\n")
    if "ratio" in bt:
        L.append("%d rows updated %d at a time (%d executions, the last changing none), on a partial index "
                 "of the rows left, each batch committed:\n" % (bt["rows"], bt["size"], bt["batches"]))
        L.append("| contender | median s | range s |")
        L.append("|---|---:|---|")
        for c in ("psql loop", "CALL migrate_run"):
            v = bt[c]
            L.append("| %s | %.3f | %.3f-%.3f |" % (
                "the statement in psql, autocommit (one commit per batch)" if c == "psql loop"
                else "`-- pg_migrate:batch` file through CALL migrate_run", v[0], v[1], v[2]))
        L.append("")
        L.append("Ratio %.3fx." % bt["ratio"])
    else:
        L.append("n/a: %s" % bt.get("na", "not run"))
    L.append("")

    wk = X.get("worker")
    L.append("## Preloaded worker (10,000 files, pg_migrate.interval = 1s)\n")
    if not wk:
        L.append("n/a: not run (BENCH_WORKER=0 or no 10,000-file workload)")
    elif "na" in wk and "after_kb" not in wk:
        L.append("n/a: %s" % wk["na"])
    else:
        L.append("| measure | value |")
        L.append("|---|---:|")
        L.append("| scheduler private memory (RssAnon) idle, before any folder | %.1f MB |" % (wk["idle_kb"] / 1024))
        L.append("| time to apply the 10,000 files (reload to last version recorded) | %.1f s |" % wk["apply_s"])
        L.append("| scheduler private memory (RssAnon) after applying them%s | %.1f MB |"
                 % ("" if wk.get("same_pid") else " (a new scheduler process)", wk["after_kb"] / 1024))
        L.append("| launcher + scheduler CPU while idle over %.0f s | %.3f %% of a core |"
                 % (wk["idle_s"], wk["idle_cpu_pct"]))
        L.append("| a new file: written to applied | %s |" % ("%.2f s" % wk["new_file_s"]
                                                              if wk["new_file_s"] is not None else "not within 30 s"))
    L.append("")

    L.append("## Issue 13 targets\n")
    for verdict, target, measured in targets(b, wl):
        L.append("- **%s** %s: %s" % (verdict, target, measured))
    L.append("")
    return "\n".join(L) + "\n"


def med(b, w, c):
    return b.results.get((w, c), {}).get("median")


def sratio(b, w, c, f):
    """Server-side median over the floor's server-side median."""
    x = b.results.get((w, c), {}).get("server")
    y = b.results.get((w, f), {}).get("server")
    return x / y if x and y else None


def both(b, w, c, f):
    """(server-side ratio, text with both ratios): the server side decides
    (the same window in both sessions: no client start-up, whose cost differs
    between psql and the 20-line one-message client)."""
    s, wh = sratio(b, w, c, f), ratio(b, w, c, f)
    if s is None:
        return wh, "%.3fx whole command" % wh if wh else ""
    return s, "%.3fx server side (whole command %.3fx)" % (s, wh)


def ratio(b, w, c, f):
    x, y = med(b, w, c), med(b, w, f)
    return x / y if x and y else None


def targets(b, wl):
    T = []

    def check(target, value, limit, fmt, na_why=None):
        if value is None:
            T.append(("n/a", target, na_why or "not measured"))
        else:
            T.append(("PASS" if value <= limit else "MISS", target, fmt % value))

    def check2(target, pair, limit, na_why):
        v, text = pair
        if v is None:
            T.append(("n/a", target, na_why or "not measured"))
        else:
            T.append(("PASS" if v <= limit else "MISS", target, text))

    def why(w, c):
        r = b.results.get((w, c), {})
        return r.get("na") or ("timed out" if "timeout" in r else "not measured")

    for w in ("tiny", "mix"):
        check2("%s through migrate_apply <= 1.02x the one-message floor" % LABEL[w],
               both(b, w, "migrate_apply", "one message"), 1.02, why(w, "migrate_apply"))
    for w in ("tiny", "mix"):
        for c in ("CALL migrate_run", "worker (async+wait)"):
            check2("%s through %s <= 1.00x psql, one transaction per file" % (LABEL[w], c),
                   both(b, w, c, "psql, txn per file"), 1.00, why(w, c))
    for w in ("big16", "big256", "single2"):
        if w not in wl:
            T.append(("n/a", "%s <= 1.10x psql -1 -f" % LABEL[w], "not in this run (BENCH_BIG=0 or BENCH_WORKLOADS)"))
            continue
        mb = wl[w]["bytes"] / 1048576
        for c in ("migrate_apply", "CALL migrate_run"):
            check2("%s through %s <= 1.10x psql -1 -f" % (LABEL[w], c), both(b, w, c, "psql -1 -f"), 1.10,
                   why(w, c))
            r = b.results.get((w, c), {})
            if r.get("kb") is not None:
                check("%s through %s: backend peak RSS <= 3x file + 64 MB (%.0f MB)" % (LABEL[w], c, 3 * mb + 64),
                      r["kb"] / 1024, 3 * mb + 64, "%.0f MB")
            else:
                T.append(("n/a", "%s through %s: peak RSS bound" % (LABEL[w], c), why(w, c)))
    if "big16" in wl and "big256" in wl:
        for c in ("migrate_apply", "CALL migrate_run"):
            a16, a256 = med(b, "big16", c), med(b, "big256", c)
            s16, s256 = wl["big16"]["bytes"], wl["big256"]["bytes"]
            v = (a256 / s256) / (a16 / s16) if a16 and a256 else None
            check("%s linear in size: seconds per MB at 256 MB <= 1.25x that at 16 MB" % c, v, 1.25, "%.2fx",
                  why("big256", c))
    # own work per migration, 1,000 vs 10,000 tiny
    def srv(w, c):
        return b.results.get((w, c), {}).get("server")
    for c in ("migrate_apply", "CALL migrate_run"):
        o1 = (srv("tiny", c) or 0) - (srv("tiny", "one message") or 0)
        o10 = (srv("tiny10k", c) or 0) - (srv("tiny10k", "one message") or 0)
        if srv("tiny", c) and srv("tiny10k", c) and srv("tiny", "one message") and srv("tiny10k", "one message"):
            per1, per10 = o1 / 1000 * 1e6, o10 / 10000 * 1e6
            v = per10 / per1 if per1 > 0 else (1.0 if per10 <= 0 else float("inf"))
            T.append(("PASS" if v <= 1.5 else "MISS",
                      "%s own work per migration constant, 1,000 vs 10,000 tiny (<= 1.5x)" % c,
                      "%.0f us vs %.0f us per migration over the one-message floor, server side (%.2fx)" % (per1, per10, v)))
        else:
            T.append(("n/a", "%s own work per migration constant" % c, why("tiny", c)))
    X = b.extra
    g = lambda k: X[k][0] if k in X else None  # noqa: E731
    check("no-op server side <= 1 ms at 1,000 applied files", g("noop server tiny"), 1.0, "%.2f ms")
    check("no-op server side <= 10 ms at 10,000 applied files", g("noop server tiny10k"), 10.0, "%.2f ms")
    if "detect" in X:
        ok = X["detect"] == "500 modified, 501 missing, 1001 pending"
        T.append(("PASS" if ok else "MISS", "no-op still detects a modified (same size and mtime), a missing "
                  "and an added file", X["detect"]))
    wk = X.get("worker") or {}
    if "idle_cpu_pct" in wk and wk.get("idle_kb") and wk.get("after_kb"):
        check("idle worker, 10,000 applied files, 1 s interval <= 0.05% of a core", wk["idle_cpu_pct"], 0.05,
              "%.3f %%")
        nf = wk.get("new_file_s")
        T.append(("PASS" if nf is not None and nf <= 1.0 else "MISS", "a new file applied within the 1 s interval",
                  "%.2f s" % nf if nf is not None else "not within 30 s"))
        check("worker RSS within 10 MB of idle after applying 10,000 files",
              (wk["after_kb"] - wk["idle_kb"]) / 1024, 10, "+%.1f MB")
    else:
        T.append(("n/a", "idle worker CPU, new file, worker memory", wk.get("na", "not run")))
    lint, st = g("lint server tiny"), g("status server tiny10k")
    check("migrate_lint on 1,000 files well under 1 s (<= 500 ms)", lint, 500, "%.1f ms")
    n1, n10 = g("noop server tiny"), g("noop server tiny10k")
    check("migrate_lint on 1,000 files <= 2x the no-op at 1,000", lint / n1 if lint and n1 else None, 2,
          "%.2fx (" + ("%.1f ms vs %.2f ms)" % (lint, n1) if lint and n1 else ")"))
    check("migrate_status on 10,000 files well under 1 s (<= 500 ms)", st, 500, "%.1f ms")
    check("migrate_status on 10,000 files <= 2x the no-op at 10,000", st / n10 if st and n10 else None, 2,
          "%.2fx (" + ("%.1f ms vs %.2f ms)" % (st, n10) if st and n10 else ")"))
    bt = X.get("batch") or {}
    check("batched data migration <= 1.05x a psql loop with one commit per batch", bt.get("ratio"), 1.05,
          "%.3fx" + (" (%d batches of %d rows: migrate_run %.3f s, psql loop %.3f s)"
                     % (bt["batches"], bt["size"], bt["CALL migrate_run"][0], bt["psql loop"][0])
                     if "ratio" in bt else ""),
          bt.get("na"))
    return T
