#!/usr/bin/env bash
# What PostgreSQL's active backends of one database wait for, sampled:
# run it during a load run and read the tally (most frequent first).
#   scripts/pg-waits.sh nattplats_large [samples] [interval-seconds] [queries]
# With "queries" as the fourth argument each sample also names the start
# of the statement the backend runs.
set -euo pipefail
db=${1:?database name}
samples=${2:-200}
interval=${3:-0.15}
what="COALESCE(wait_event_type || ':' || wait_event, 'CPU')"
if [ "${4:-}" = queries ]; then
  what="$what || ' | ' || left(regexp_replace(query, '\s+', ' ', 'g'), 110)"
fi
for _ in $(seq "$samples"); do
  psql -h 127.0.0.1 -U postgres -d "$db" -Atc \
    "SELECT $what FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
  sleep "$interval"
done | sort | uniq -c | sort -rn
