"""Login attempts are limited on the web form and on the JWT API (a separate process:
the test app itself runs with limits off)."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent("""
    import json
    import sys
    from app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "AUTH_RATE_LIMIT": "3 per 1 minute",
                      "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "ERROR"})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    client = app.test_client()
    api = [client.post("/api/v1/security/login", json={"username": "nobody", "password": "x",
                                                      "provider": "db"}).status_code
           for _ in range(5)]
    web = [client.post("/login/", data={"username": "nobody", "password": "x"}).status_code
           for _ in range(5)]
    print(json.dumps([api, web]))
""")


def test_login_attempts_are_limited_on_web_and_api(tmp_path):
    result = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path}/limit.db"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    api, web = json.loads(result.stdout.strip().splitlines()[-1])
    assert api[:3] == [401, 401, 401] and api[3:] == [429, 429]
    assert 429 not in web[:3] and web[3:] == [429, 429]
