"""Starts the nattplats binary the way deploy/compose.yaml and
deploy/k8s/nattplats.yaml start it, as far as one machine without a
container runtime allows: with exactly the environment each gives the
container (the image's ENV from the Dockerfile, then the manifest's; the
Secret's keys as its comment creates them; Kubernetes' service links),
as the user the image or manifest names, in the image's working
directory, read-only where the manifest says so. What has to differ on
this machine is replaced and said: the database (a fresh one on the local
PostgreSQL, or SQLite), the listening address (127.0.0.1 and a free port,
on the port the manifest declares being the one it binds) and TMPDIR (set
to the read-only directory, standing in for a read-only /tmp).

Each one-shot container (the migration) must exit 0, every instance must
answer /ready (and the probes) with 200, leave no file behind in its
working directory (its secrets come from the environment, the same for
every instance), and accept a token another instance issued.

Run by scripts/deploy-check.sh; exits 1 naming every failure.
"""

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print(f"deploy-check: FAIL {msg}", file=sys.stderr)


def note(msg):
    print(f"deploy-check: {msg}")


# ---------------------------------------------------------------- the image


class Image:
    """The runtime stage of the Dockerfile: ENV, USER, WORKDIR, ENTRYPOINT, CMD."""

    def __init__(self, path):
        text = open(path, encoding="utf-8").read()
        # Join continuation lines, drop comments.
        lines = []
        buf = ""
        for raw in text.splitlines():
            if raw.lstrip().startswith("#"):
                continue
            if raw.rstrip().endswith("\\"):
                buf += raw.rstrip()[:-1] + " "
                continue
            lines.append(buf + raw)
            buf = ""
        stage = []
        for line in lines:
            if line.strip().upper().startswith("FROM "):
                stage = []
            stage.append(line.strip())
        self.env = {}
        self.user = None
        self.workdir = "/"
        self.entrypoint = []
        self.cmd = []
        self.home = "/"
        for line in stage:
            if not line:
                continue
            word, _, rest = line.partition(" ")
            word = word.upper()
            if word == "ENV":
                for pair in shlex.split(rest):
                    k, _, v = pair.partition("=")
                    self.env[k] = v
            elif word == "USER":
                self.user = rest.strip()
            elif word == "WORKDIR":
                self.workdir = rest.strip()
            elif word == "ENTRYPOINT":
                self.entrypoint = json.loads(rest)
            elif word == "CMD":
                self.cmd = json.loads(rest)
            elif word == "RUN" and "useradd" in rest:
                m = re.search(r"--home-dir\s+(\S+)", rest)
                if m:
                    self.home = m.group(1)

    def uid_gid(self):
        if not self.user:
            return None
        uid, _, gid = self.user.partition(":")
        return int(uid), int(gid or uid)


# ---------------------------------------------------------------- processes


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, token=None, timeout=5):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Runner:
    def __init__(self, args, image, base):
        self.args = args
        self.image = image
        self.base = base
        self.procs = []
        self.switch_user = os.geteuid() == 0
        if not self.switch_user:
            note("not root: runs as the current user, not as the manifest's")

    def container_dir(self, name, read_only, uid_gid):
        """The working directory: the image's home, owned by its user, or
        read-only (owned by root, or without write bits for its owner)."""
        d = tempfile.mkdtemp(prefix=name + "-", dir=self.base)
        if read_only:
            os.chmod(d, 0o555)
        else:
            os.chmod(d, 0o755)
            if self.switch_user and uid_gid:
                os.chown(d, *uid_gid)
        return d

    def argv(self, uid_gid, argv):
        if self.switch_user and uid_gid:
            uid, gid = uid_gid
            return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] + argv
        return argv

    def start(self, name, argv, env, cwd, uid_gid):
        log = open(os.path.join(self.base, name + ".log"), "wb")
        # env= is `env -i` plus exactly these variables.
        p = subprocess.Popen(
            self.argv(uid_gid, argv), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        p.log_path = log.name
        p.name = name
        self.procs.append(p)
        return p

    def log_tail(self, p):
        try:
            return open(p.log_path, encoding="utf-8", errors="replace").read()[-3000:]
        except OSError:
            return ""

    def run_once(self, name, argv, env, cwd, uid_gid):
        p = self.start(name, argv, env, cwd, uid_gid)
        try:
            rc = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "timeout"
        if rc != 0:
            fail(f"{name}: {' '.join(argv[1:])} exited {rc}:\n{self.log_tail(p)}")
            return False
        note(f"{name}: exited 0")
        return True

    def wait_ready(self, p, url):
        deadline = time.time() + 60
        while time.time() < deadline:
            if p.poll() is not None:
                fail(f"{p.name}: exited {p.returncode} before it was ready:\n{self.log_tail(p)}")
                return False
            try:
                status, _ = http("GET", url + "/ready", timeout=1)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        fail(f"{p.name}: /ready did not answer 200 within 60 s:\n{self.log_tail(p)}")
        return False

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []


# ---------------------------------------------------------------- databases


class Databases:
    def __init__(self, postgres_url, base):
        self.url = postgres_url
        self.base = base
        self.made = []

    def new(self, name):
        if not self.url:
            d = tempfile.mkdtemp(prefix="db-", dir=self.base)
            os.chmod(d, 0o777)
            return f"sqlite://{d}/{name}.db"
        db = f"deploy_check_{name}_{secrets.token_hex(4)}"
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-c", f'CREATE DATABASE "{db}"'],
                       check=True, stdout=subprocess.DEVNULL)
        self.made.append(db)
        return _with_db(self.url, db)

    def drop_all(self):
        for db in self.made:
            subprocess.run(["psql", "-q", self.url, "-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _with_db(url, db):
    m = re.match(r"^(postgres(?:ql)?://[^/]*)(/[^?]*)?(\?.*)?$", url)
    if not m:
        raise SystemExit(f"deploy-check: cannot read the PostgreSQL URL {url!r}")
    return m.group(1) + "/" + db + (m.group(3) or "")


# ---------------------------------------------------------------- shared


def override_bind(env, declared_port, what):
    """Keeps the manifest's environment but listens on 127.0.0.1 and a free
    port; the manifest's own address must listen on the port it declares."""
    bind = env.get("NATTPLATS_BIND", "127.0.0.1:8080")
    port = bind.rpartition(":")[2]
    if declared_port is not None and port != str(declared_port):
        fail(f"{what}: listens on {bind} but the manifest sends traffic to port {declared_port}")
    if not bind.startswith(("0.0.0.0:", "[::]:")):
        fail(f"{what}: listens on {bind}: not reachable from outside the container")
    local = free_port()
    env["NATTPLATS_BIND"] = f"127.0.0.1:{local}"
    return f"http://127.0.0.1:{local}"


def no_files_left(what, cwd, before):
    after = set(os.listdir(cwd))
    new = sorted(after - before)
    if new:
        fail(f"{what}: wrote {new} into its working directory (each instance would make its own)")


def tokens_cross(what, urls, admin):
    if not admin or len(urls) < 2:
        return
    user, _, password = admin.partition(":")
    status, body = http("POST", urls[0] + "/api/v1/auth/token", {"username": user, "password": password})
    if status != 200:
        fail(f"{what}: the bootstrap admin cannot log in ({status}: {body[:200]!r})")
        return
    token = json.loads(body)["access_token"]
    for url in urls[1:]:
        status, _ = http("GET", url + "/api/v1/shelters", token=token)
        if status != 200:
            fail(f"{what}: a token of one instance is refused by another ({status})")
            return
    note(f"{what}: a token of one instance holds on the others")


def image_env(image, home):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home}
    env.update(image.env)
    return env


# ---------------------------------------------------------------- compose


VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, shell):
    if isinstance(value, dict):
        return {k: interpolate(v, shell) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, shell) for v in value]
    if not isinstance(value, str):
        return value

    def one(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        val = shell.get(name)
        empty_is_unset = op is not None and op.startswith(":")
        missing = val is None or (empty_is_unset and val == "")
        if op in (":-", "-"):
            return interpolate(arg, shell) if missing else val
        if op in (":?", "?"):
            if missing:
                raise SystemExit(f"deploy-check: compose refuses: {arg or name + ' is not set'}")
            return val
        if op in (":+", "+"):
            return "" if missing else interpolate(arg, shell)
        return val or ""

    return VAR.sub(one, value)


def compose_env(raw, shell):
    if raw is None:
        return {}
    if isinstance(raw, list):
        items = [(e.partition("=")[0], e.partition("=")[2] if "=" in e else None) for e in raw]
    else:
        items = list(raw.items())
    env = {}
    for k, v in items:
        if v is None:
            # No value: the shell's, or not set at all.
            if k in shell:
                env[k] = shell[k]
        else:
            env[k] = str(v)
    return env


def check_compose(path, image, runner, dbs, with_admin):
    what = f"compose ({'with' if with_admin else 'without'} NATTPLATS_BOOTSTRAP_ADMIN)"
    raw = yaml.safe_load(open(path, encoding="utf-8"))
    text = open(path, encoding="utf-8").read()
    # The shell of the documented command: every variable the file requires.
    shell = {}
    for name in sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", text))):
        shell[name] = secrets.token_hex(32)
    if with_admin:
        shell["NATTPLATS_BOOTSTRAP_ADMIN"] = "admin:" + secrets.token_hex(12)
    doc = interpolate(raw, shell)
    services = doc.get("services", {})
    ours = {n: s for n, s in services.items() if "build" in s or str(s.get("image", "")).startswith("nattplats")}
    if not ours:
        fail(f"{what}: no nattplats service")
        return
    one_shot = set()
    for s in services.values():
        for dep, cond in (s.get("depends_on") or {}).items() if isinstance(s.get("depends_on"), dict) else []:
            if (cond or {}).get("condition") == "service_completed_successfully":
                one_shot.add(dep)
    database = dbs.new("compose")
    nginx = ""
    nginx_path = os.path.join(os.path.dirname(path), "compose-nginx.conf")
    if os.path.exists(nginx_path):
        nginx = open(nginx_path, encoding="utf-8").read()
    urls = []
    instances = []
    for name in sorted(ours, key=lambda n: n not in one_shot):
        s = ours[name]
        uid_gid = image.uid_gid()
        if s.get("user"):
            u, _, g = str(s["user"]).partition(":")
            uid_gid = (int(u), int(g or u))
        env = image_env(image, image.home)
        env["HOSTNAME"] = name
        env.update(compose_env(s.get("environment"), shell))
        if "DATABASE_URL" in env:
            env["DATABASE_URL"] = database
        cwd = runner.container_dir(name, bool(s.get("read_only")), uid_gid)
        env["TMPDIR"] = cwd if s.get("read_only") else env.get("TMPDIR", "/tmp")
        if s.get("working_dir") and s["working_dir"] != image.workdir:
            note(f"{what}: {name} works in {s['working_dir']}")
        cmd = s.get("command", image.cmd)
        cmd = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        argv = [runner.args.bin] + cmd
        if name in one_shot:
            if not runner.run_once(f"compose-{name}", argv, env, cwd, uid_gid):
                return
            continue
        m = re.search(rf"server\s+{re.escape(name)}:(\d+)", nginx)
        url = override_bind(env, m.group(1) if m else None, f"{what} {name}")
        before = set(os.listdir(cwd))
        p = runner.start(f"compose-{name}", argv, env, cwd, uid_gid)
        instances.append((name, p, url, cwd, before))
    for name, p, url, cwd, before in instances:
        if runner.wait_ready(p, url):
            note(f"{what}: {name} is ready")
            urls.append(url)
            no_files_left(f"{what} {name}", cwd, before)
    tokens_cross(what, urls, shell.get("NATTPLATS_BOOTSTRAP_ADMIN"))


# ---------------------------------------------------------------- kubernetes


def secret_keys(text):
    """The keys of the Secret as the manifest's comment creates it."""
    return re.findall(r"--from-literal=([A-Za-z_][A-Za-z0-9_]*)=", text)


def k8s_env(container, secret, what):
    env = {}
    for e in container.get("envFrom") or []:
        if "secretRef" in e:
            env.update(secret)
        else:
            fail(f"{what}: envFrom {list(e)} cannot be checked here")
    for e in container.get("env") or []:
        if "value" in e:
            env[e["name"]] = str(e["value"])
        elif "valueFrom" in e and "secretKeyRef" in e["valueFrom"]:
            ref = e["valueFrom"]["secretKeyRef"]
            if ref["key"] in secret:
                env[e["name"]] = secret[ref["key"]]
            elif not ref.get("optional"):
                fail(f"{what}: the Secret as documented has no key {ref['key']}: the pod would not start")
        else:
            fail(f"{what}: env {e['name']} cannot be checked here")
    return env


def service_links(docs):
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
           "KUBERNETES_PORT": "tcp://10.96.0.1:443"}
    for i, d in enumerate(d for d in docs if d.get("kind") == "Service"):
        name = d["metadata"]["name"].upper().replace("-", "_")
        ip = f"10.96.1.{i + 1}"
        ports = d["spec"].get("ports", [])
        if ports:
            env[f"{name}_SERVICE_HOST"] = ip
            env[f"{name}_SERVICE_PORT"] = str(ports[0]["port"])
            env[f"{name}_PORT"] = f"tcp://{ip}:{ports[0]['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
            pre = f"{name}_PORT_{p['port']}_{proto}"
            env[pre] = f"{proto.lower()}://{ip}:{p['port']}"
            env[pre + "_PROTO"] = proto.lower()
            env[pre + "_PORT"] = str(p["port"])
            env[pre + "_ADDR"] = ip
    return env


def pod_parts(doc):
    spec = doc["spec"]["template"]["spec"]
    return spec, spec["containers"]


def run_as(pod_sc, c_sc, image):
    sc = dict(pod_sc or {})
    sc.update({k: v for k, v in (c_sc or {}).items() if k in ("runAsUser", "runAsGroup", "runAsNonRoot")})
    uid_gid = image.uid_gid()
    uid = sc.get("runAsUser", uid_gid[0] if uid_gid else 0)
    gid = sc.get("runAsGroup", uid_gid[1] if uid_gid else 0)
    return uid, gid, sc.get("runAsNonRoot")


def check_k8s(path, image, runner, dbs, with_optional):
    what = f"k8s ({'with' if with_optional else 'without'} the optional keys)"
    text = open(path, encoding="utf-8").read()
    docs = [d for d in yaml.safe_load_all(text) if d]
    keys = secret_keys(text)
    if not keys:
        fail(f"{what}: the comment does not say how to create the Secret")
    database = dbs.new("k8s")
    optional = {e["valueFrom"]["secretKeyRef"]["key"]
                for d in docs if d["kind"] in ("Job", "Deployment")
                for c in pod_parts(d)[1]
                for e in c.get("env") or []
                if e.get("valueFrom", {}).get("secretKeyRef", {}).get("optional")}
    secret = {}
    for k in keys:
        if k in optional and not with_optional:
            continue
        if k == "DATABASE_URL":
            secret[k] = database
        elif k == "NATTPLATS_BOOTSTRAP_ADMIN":
            secret[k] = "admin:" + secrets.token_hex(12)
        else:
            secret[k] = secrets.token_hex(32)
    links = service_links(docs)
    order = [d for d in docs if d["kind"] == "Job"] + [d for d in docs if d["kind"] == "Deployment"]
    for d in order:
        spec, containers = pod_parts(d)
        replicas = d["spec"].get("replicas", 1) if d["kind"] == "Deployment" else 1
        for c in containers:
            name = f"k8s-{d['metadata']['name']}-{c['name']}"
            uid, gid, non_root = run_as(spec.get("securityContext"), c.get("securityContext"), image)
            if non_root and uid == 0:
                fail(f"{what}: {name} must not run as root but runs as uid 0")
            read_only = bool((c.get("securityContext") or {}).get("readOnlyRootFilesystem"))
            if c.get("command"):
                argv = [runner.args.bin] + list(c["command"][1:]) + list(c.get("args") or [])
            else:
                argv = [runner.args.bin] + list(c.get("args") or image.cmd)
            if d["kind"] == "Job":
                env = image_env(image, image.home)
                env.update(links)
                env["HOSTNAME"] = name
                env.update(k8s_env(c, secret, f"{what} {name}"))
                cwd = runner.container_dir(name, read_only, (uid, gid))
                if read_only:
                    env["TMPDIR"] = cwd
                if not runner.run_once(name, argv, env, cwd, (uid, gid)):
                    return
                continue
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            urls = []
            started = []
            for r in range(replicas):
                env = image_env(image, image.home)
                env.update(links)
                env["HOSTNAME"] = f"{name}-{r}"
                env.update(k8s_env(c, secret, f"{what} {name}"))
                cwd = runner.container_dir(f"{name}-{r}", read_only, (uid, gid))
                if read_only:
                    env["TMPDIR"] = cwd
                probe = (c.get("readinessProbe") or {}).get("httpGet", {}).get("port")
                declared = ports.get(probe, probe) if probe is not None else None
                url = override_bind(env, declared, f"{what} {name}")
                before = set(os.listdir(cwd))
                p = runner.start(f"{name}-{r}", argv, env, cwd, (uid, gid))
                started.append((p, url, cwd, before))
            for p, url, cwd, before in started:
                if not runner.wait_ready(p, url):
                    continue
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    get = (c.get(probe) or {}).get("httpGet")
                    if get:
                        status, _ = http("GET", url + get["path"])
                        if status != 200:
                            fail(f"{what}: {p.name} {probe} {get['path']} answers {status}")
                no_files_left(f"{what} {p.name}", cwd, before)
                urls.append(url)
                note(f"{what}: {p.name} is ready, its probes answer 200")
            tokens_cross(what, urls, secret.get("NATTPLATS_BOOTSTRAP_ADMIN"))


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dockerfile", required=True)
    ap.add_argument("--compose")
    ap.add_argument("--k8s")
    ap.add_argument("--postgres", default="")
    args = ap.parse_args()
    image = Image(args.dockerfile)
    base = tempfile.mkdtemp(prefix="deploy-check-")
    os.chmod(base, 0o755)
    runner = Runner(args, image, base)
    dbs = Databases(args.postgres, base)
    note("database: " + ("a fresh one on the local PostgreSQL per run" if args.postgres else "SQLite"))
    try:
        for flag in (False, True):
            if args.compose:
                check_compose(args.compose, image, runner, dbs, flag)
                runner.stop_all()
            if args.k8s:
                check_k8s(args.k8s, image, runner, dbs, flag)
                runner.stop_all()
    finally:
        runner.stop_all()
        dbs.drop_all()
        shutil.rmtree(base, ignore_errors=True)
    if FAILURES:
        print(f"deploy-check: {len(FAILURES)} failure(s)", file=sys.stderr)
        sys.exit(1)
    note("every manifest starts as documented")


if __name__ == "__main__":
    main()
