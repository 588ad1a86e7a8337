"""A real threaded server for race tests: werkzeug's make_server(threaded=True) in a
thread, like `make run`, and a small JSON client over http.client (one connection per
call, so every thread is its own client)."""
import http.client
import json
import threading

from werkzeug.serving import make_server

from app.demo import DEMO_PASSWORD


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.tokens = {}

    def call(self, method, path, username=None, body=None, headers=None):
        """(status, decoded JSON or text) of one request, signed in as `username`."""
        headers = dict(headers or {})
        if username:
            headers["Authorization"] = f"Bearer {self.token(username)}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw

    def token(self, username) -> str:
        if username not in self.tokens:
            status, answer = self.call("POST", "/api/v1/security/login", body={
                "username": username, "password": DEMO_PASSWORD, "provider": "db"})
            assert status == 200, answer
            self.tokens[username] = answer["access_token"]
        return self.tokens[username]

    def stop(self):
        self.server.shutdown()
        self.thread.join()


def run_together(live, calls) -> list:
    """Send every call — (method, path, username, body) — at the same moment (a barrier),
    one thread each; their answers in the order given."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            answers[index] = live.call(*call)
        except Exception as error:  # noqa: BLE001 — reported as the answer
            answers[index] = (599, repr(error))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
