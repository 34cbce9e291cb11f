#!/usr/bin/env python3
"""Adds shelters and places in bulk to a migrated nattplats SQLite database,
for benchmarks at a large system's size. Usage:

    python3 scripts/large-places.py DB_FILE SHELTERS PLACES_PER_SHELTER

Run the service on the file first once (or `nattplats migrate` and
`nattplats seed stockholm-2019`) so that a partnership exists."""
import sqlite3
import sys
import uuid
from datetime import datetime, timezone

db, shelters, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = sqlite3.connect(db)
now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
(partnership,) = con.execute("SELECT id FROM partnerships ORDER BY created_at LIMIT 1").fetchone()
org = str(uuid.uuid4())
con.execute("INSERT INTO organizations VALUES (?, ?, ?, ?)", (org, partnership, f"Bench {org[:8]}", now))
for s in range(shelters):
    sid = str(uuid.uuid4())
    con.execute("INSERT INTO shelters VALUES (?, ?, ?, ?, ?)", (sid, partnership, org, f"Bench shelter {s:04d} {sid[:4]}", now))
    rows = []
    for p in range(per):
        category = "women" if p % 5 == 0 else "regular"
        rows.append((str(uuid.uuid4()), sid, f"P{p:03d}", category, now))
    con.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?)", rows)
con.commit()
print(con.execute("SELECT COUNT(*) FROM places").fetchone()[0], "places")
