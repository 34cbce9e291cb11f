#!/usr/bin/env python3
"""How long the server takes to answer each page, at Stockholm size on a
full night, over kept-alive connections with a signed-in session.

    scripts/bench_pages.py BASE_URL ADMIN_PASSWORD [REQUESTS] [CLIENTS]

Against a running nattplats with the Stockholm 2019 seed and a manual
clock (scripts/bench-pages.sh starts one on each backend). Through the
API it sets the clock to 2019-12-01 18:00, makes a desk user at every
shelter, fills every regular and women's bed with a stay and checks half
of the guests in: the longest lists the pages can show at this size.
Then it signs in through the sign-in form, as a browser does (a desk at
every shelter, a coordinator, the admin), and asks each page REQUESTS times (default 1,000) from CLIENTS connections
(default 1), after 20 unmeasured requests. Prints one line per page:
n, p50, p99, max, throughput, size. Exits 1 if any answer is not 200.

Every read of tonight's list writes its audit entries (one per guest
named), so the times include those writes, as a real desk's would."""
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse

base = sys.argv[1]
password = sys.argv[2]
total = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 1
url = urllib.parse.urlparse(base)
origin = f"{url.scheme}://{url.netloc}"


def conn():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    c = conn()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    c.request(method, "/api/v1" + path, body=None if body is None else json.dumps(body), headers=headers)
    res = c.getresponse()
    text = res.read()
    if res.status not in ok:
        raise SystemExit(f"{method} {path}: {res.status} {text[:300]!r}")
    return res.status, (json.loads(text) if text else None)


def token(username):
    return call("POST", "/auth/token", {"username": username, "password": password})[1]["access_token"]


admin = token("admin")
call("PUT", "/admin/clock", {"now": "2019-12-01T18:00:00+01:00"}, admin)
shelters = call("GET", "/shelters", token=admin)[1]
ids = [s["id"] for s in shelters]
call("POST", "/users", {"username": "bench", "password": password, "roles": ["shelter_staff"],
                        "shelter_ids": ids}, admin, ok=(201, 409))
call("POST", "/users", {"username": "bench.coord", "password": password, "roles": ["coordinator"]},
     admin, ok=(201, 409))
desk = token("bench")

# Fill the night: a guest and a stay for every regular and women's bed.
stays, guests = [], []
n = 0
for s in shelters:
    for category, gender in (("regular", "man"), ("women", "woman")):
        for _ in range(s["places"][category]):
            n += 1
            g = call("POST", "/guests", {"given_name": f"Bench{n}", "family_name": "Guest",
                                         "birth_year": 1970 + n % 30, "gender": gender,
                                         "citizenship": "RO"}, desk)[1]
            status, stay = call("POST", "/stays", {"guest_id": g["id"], "shelter_id": s["id"],
                                                   "category": category}, desk, ok=(201, 409))
            if status == 201:
                guests.append(g["id"])
                stays.append(stay["id"])
                if n % 2 == 0:
                    call("POST", f"/stays/{stay['id']}/check-ins", {}, desk)

# Sign in through the form, as a browser does.
def sign_in(username):
    c = conn()
    c.request("GET", "/login")
    res = c.getresponse()
    page = res.read().decode()
    login_cookie = re.search(r"nattplats_login=([0-9a-f]+)", res.getheader("set-cookie") or "").group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "username": username, "password": password})
    c.request("POST", "/login", body=form, headers={
        "content-type": "application/x-www-form-urlencoded", "origin": origin,
        "cookie": f"nattplats_login={login_cookie}"})
    res = c.getresponse()
    res.read()
    session = re.search(r"nattplats_session=([0-9a-f]+)", res.getheader("set-cookie") or "")
    if res.status != 303 or not session:
        raise SystemExit(f"sign-in of {username} through the form failed: {res.status}")
    return f"nattplats_session={session.group(1)}"


cookies = {"desk": sign_in("bench"), "coord": sign_in("bench.coord"), "admin": sign_in("admin"), None: None}

# (name, path, htmx?, whose session) of every page; {shelter}, {guest} and
# {stay} are one of the above. A page this build does not have answers 404
# and is reported as a failure.
PAGES = [
    ("the sign-in page", "/login", False, None),
    ("start: tonight at 3 shelters (desk)", "/", False, "desk"),
    ("tonight's list, one shelter (htmx)", "/tonight?shelter_id={shelter}", True, "desk"),
    ("intake page", "/intake", False, "desk"),
    ("intake: search as you type (htmx)", "/intake/search?q=Bench1", True, "desk"),
    ("intake: the register form", "/guests/new", False, "desk"),
    ("a guest's page (eligibility, stay)", "/guests/{guest}", False, "desk"),
    ("the guest slip", "/stays/{stay}/slip", False, "desk"),
    ("night board (socialjouren, coordinator)", "/board", False, "coord"),
    ("night board: its live part (htmx)", "/board/part", True, "coord"),
    ("cold nights (coordinator)", "/cold-nights", False, "coord"),
    ("referrals inbox", "/referrals", False, "coord"),
    ("intake by lottery", "/lottery", False, "coord"),
    ("incidents", "/incidents", False, "coord"),
    ("complaints", "/complaints", False, "coord"),
    ("the survey's form", "/survey", False, "coord"),
    ("reports: chooser", "/reports", False, "coord"),
    ("reports: the half-year's report", "/reports?preset=half-year&of=2019-11-30", False, "coord"),
    ("admin: users", "/admin/users", False, "admin"),
    ("admin: shelters and places", "/admin/shelters", False, "admin"),
    ("admin: rule sets", "/admin/rule-sets", False, "admin"),
]


def measure(path, htmx, whose):
    times, sizes, errors = [], [], []
    lock = threading.Lock()
    headers = {"cookie": cookies[whose]} if whose else {}
    if htmx:
        headers["hx-request"] = "true"

    def run(count, warm):
        c = conn()
        mine = []
        last = 0
        for i in range(count + warm):
            t0 = time.perf_counter()
            c.request("GET", path, headers=headers)
            res = c.getresponse()
            body = res.read()
            if i >= warm:
                mine.append((time.perf_counter() - t0) * 1000)
            if res.status != 200:
                errors.append(res.status)
            last = len(body)
        with lock:
            times.extend(mine)
            sizes.append(last)

    run(0, 20)
    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(total // clients, 0)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    return times, q, elapsed, sizes, errors


failed = False
print(f"{len(stays)} stays tonight, {len(stays) // 2} checked in; {clients} client(s)")
for name, path, htmx, whose in PAGES:
    path = path.format(shelter=ids[0], guest=guests[0], stay=stays[0])
    times, q, elapsed, sizes, errors = measure(path, htmx, whose)
    failed |= bool(errors)
    print(f"{name:40} n={len(times)} p50={q(.5):.2f}ms p99={q(.99):.2f}ms max={times[-1]:.2f}ms "
          f"{len(times) / elapsed:.0f}/s bytes={sizes[-1]} errors={len(errors)}"
          + (f" (status {errors[0]})" if errors else ""))
sys.exit(1 if failed else 0)
