"""The deployment of deploy/ on this machine, for tests/cluster/ and bench/: PostgreSQL
(a cluster of its own from initdb), Redis, `make serve` app servers, `make worker` and nginx
with deploy/nginx/console.conf, all real programs on 127.0.0.1 with their files in one
temporary folder; and a small HTTP client (cookies, CSRF tokens, uploads) to drive them.
"""
import glob
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def missing_programs() -> list[str]:
    found = (("redis-server", shutil.which("redis-server")),
             ("nginx", shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")),
             ("PostgreSQL (initdb)", INITDB))
    return [name for name, ok in found if not ok]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = check()
            if answer:
                return answer
        except (OSError, urllib.error.URLError, ValueError, subprocess.CalledProcessError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


class Cluster:
    def __init__(self, tmp, env=None):
        self.tmp, self.processes, self.logs = tmp, {}, {}
        self.ports = {name: free_port() for name in ("pg", "redis", "web1", "web2", "nginx")}
        self.db_url = f"postgresql://postgres@127.0.0.1:{self.ports['pg']}/console"
        self.env = {**os.environ,
                    "DATABASE_URL": self.db_url,
                    "SECRET_KEY": secrets.token_hex(32),
                    "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/1",
                    "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{self.ports['redis']}/2",
                    "FILES_DIR": os.path.join(tmp, "files"),
                    "PROXY_COUNT": "1", "WORKERS": "2", "HUEY_WORKERS": "2",
                    "JOB_HEARTBEAT_SECONDS": "1", "JOB_STALE_SECONDS": "10",
                    "LOG_LEVEL": "WARNING", **(env or {})}
        self.env.pop("TEST_DATABASE_URL", None)

    # --- programs ------------------------------------------------------------------
    def start(self, name, args, env=None, user=None):
        log = open(os.path.join(self.tmp, f"{name}.log"), "ab")
        self.logs[name] = log.name
        if user is not None:
            args = ["runuser", "-u", user, "--", *args]
        self.processes[name] = subprocess.Popen(args, cwd=ROOT, env=env or self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        return self.processes[name]

    def kill(self, name):
        """kill -9 the program and everything it started (make, gunicorn master, workers)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self):
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, name, lines=40) -> str:
        with open(self.logs[name], errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])

    def postgres(self):
        data = os.path.join(self.tmp, "pg")
        bin_dir = os.path.dirname(INITDB[-1])
        user = "postgres" if os.geteuid() == 0 else None
        os.makedirs(data)
        if user:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run((["runuser", "-u", user, "--"] if user else []) +
                       [INITDB[-1], "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8"], check=True, capture_output=True)
        self.start("postgres", [os.path.join(bin_dir, "postgres"), "-D", data,
                                "-p", str(self.ports["pg"]), "-k", data,
                                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                   user=user)
        wait_until(lambda: self.psql("postgres", "select 1") == "1", 30, "PostgreSQL")
        self.psql("postgres", "create database console")

    def psql(self, db, sql) -> str:
        bin_dir = os.path.dirname(INITDB[-1])
        out = subprocess.run([os.path.join(bin_dir, "psql"), "-h", "127.0.0.1",
                              "-p", str(self.ports["pg"]), "-U", "postgres", "-d", db,
                              "-qtAX", "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def redis(self):
        self.start("redis", ["redis-server", "--port", str(self.ports["redis"]),
                             "--bind", "127.0.0.1", "--dir", self.tmp, "--save", "",
                             "--appendonly", "no"])
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.ports["redis"]), 1),
                   10, "Redis")

    def serve(self, name):
        self.start_serving(name)
        self.wait_serving(name)

    def start_serving(self, name):
        port = self.ports[name]
        self.start(name, ["make", "--no-print-directory", "serve", f"PORT={port}",
                          f"BIND=127.0.0.1:{port}"])

    def wait_serving(self, name):
        port = self.ports[name]
        wait_until(lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{port}/login/", timeout=5).status == 200, 300,
            lambda: f"{name}\n{self.log_tail(name)}")

    def worker(self):
        self.start("worker", ["make", "--no-print-directory", "worker"])

    def flask(self, *args):
        subprocess.run([os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "run.py", *args],
                       cwd=ROOT, env=self.env, check=True, capture_output=True)

    def nginx(self, servers=("web1", "web2")):
        """deploy/nginx/console.conf with these app servers and this port, in a main
        configuration whose files all live in the temporary folder."""
        with open(os.path.join(ROOT, "deploy", "nginx", "console.conf")) as fh:
            site = fh.read()
        lines = "".join(f"    server 127.0.0.1:{self.ports[n]} max_fails=1 fail_timeout=10s;\n"
                        for n in servers)
        site = re.sub(r"(upstream console_app \{\n)(?:.*\n)*?(\s*keepalive)",
                      lambda m: m.group(1) + lines + m.group(2), site, count=1)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.ports['nginx']};")
        assert f"127.0.0.1:{self.ports[servers[-1]]}" in site and "10.0.0.11" not in site
        site_path = os.path.join(self.tmp, "console.conf")
        with open(site_path, "w") as fh:
            fh.write(site)
        main = os.path.join(self.tmp, "nginx.conf")
        with open(main, "w") as fh:
            fh.write(("user root;\n" if os.geteuid() == 0 else "") + f"""
worker_processes 1;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {self.tmp}/nginx-access.log;
    client_body_temp_path {self.tmp}/nginx-body;
    proxy_temp_path {self.tmp}/nginx-proxy;
    fastcgi_temp_path {self.tmp}/nginx-fastcgi;
    uwsgi_temp_path {self.tmp}/nginx-uwsgi;
    scgi_temp_path {self.tmp}/nginx-scgi;
    add_header X-Upstream $upstream_addr always;
    include {site_path};
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.start("nginx", [nginx, "-p", self.tmp, "-c", main, "-g", "daemon off;"])
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.ports["nginx"]), 1),
                   10, "nginx")

    def restart_nginx(self, servers):
        process = self.processes.pop("nginx")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        self.nginx(servers)

    def upstream_port(self, response) -> int:
        return int(response.headers["X-Upstream"].split(",")[-1].rsplit(":", 1)[1])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser through nginx: cookies, CSRF tokens from forms, no automatic redirects."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def request(self, path, data=None, headers=None, content_type=None):
        url = self.base + urllib.parse.quote(path, safe="/?=&%_.-")
        request = urllib.request.Request(url, data=data, headers=headers or {})
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            return self.opener.open(request, timeout=120)
        except urllib.error.HTTPError as e:
            return e

    def get(self, path):
        response = self.request(path)
        response.body = response.read()
        return response

    def csrf(self, path) -> str:
        html = self.get(path).body.decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def login(self, username, password):
        token = self.csrf("/login/")
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        response = self.request("/login/", body,
                                content_type="application/x-www-form-urlencoded")
        response.body = response.read()
        return response

    def upload(self, path, filename, content: bytes):
        token = self.csrf(path)
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        response = self.request(path, body,
                                content_type=f"multipart/form-data; boundary={boundary}")
        response.body = response.read()
        return response

    def job(self, token) -> dict:
        return json.loads(self.get(f"/api/v1/export_job/{token}").body)
