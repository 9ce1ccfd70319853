"""The contenders of `make bench`, shared by bench.py (which runs them) and
report.py (which prints them in this order)."""

FLOORS = ["one message", "psql -1 -f", "psql, txn per file"]
OURS = ["migrate_apply", "CALL migrate_run", "worker (async+wait)"]
PEERS = ["dbmate", "node-pg-migrate", "postgres-migrations", "sqitch"]
ALL = FLOORS + OURS + PEERS
