"""Console commands: `flask init-roles`, `flask load-demo`, `flask create-user`,
`flask backup`, `flask restore`, `flask worker`."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.models.org import Department
from app.passwords import password_problem
from app.security import department_problem


def register_cli(app):
    app.cli.add_command(init_roles_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(optimize_command)
    app.cli.add_command(worker_command)


@click.command("init-roles")
@click.option("--reset", is_flag=True, help="Make every role exactly the grants in code.")
@with_appcontext
def init_roles_command(reset):
    """Create permissions and the five roles with their grants (idempotent)."""
    from app.roles import init_roles
    added = init_roles(current_app.appbuilder, reset=reset)
    for role, n in added.items():
        click.echo(f"{role}: +{n}")


@click.command("load-demo")
@with_appcontext
def load_demo_command():
    """Load the demo company (idempotent: a second run adds nothing)."""
    from app.demo import load_demo
    for line in load_demo(current_app.appbuilder):
        click.echo(line)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--name", required=True, help="中文姓名，如 王明")
@click.option("--role", required=True)
@click.option("--department", default=None)
@click.option("--email", default=None)
@click.password_option()
@with_appcontext
def create_user_command(username, name, role, department, email, password):
    """Create a user; the password must pass the complexity rule."""
    from app.demo import ensure_user
    problem = password_problem(password)
    if problem:
        raise click.UsageError(problem)
    sm = current_app.appbuilder.sm
    if sm.find_user(username=username):
        raise click.UsageError(f"用户 {username} 已存在")
    if sm.find_role(role) is None:
        raise click.UsageError(f"角色 {role} 不存在，请先运行 flask init-roles")
    found = department and sm.session.scalar(select(Department).where(
        Department.name == department))
    if department and found is None:
        raise click.UsageError(f"部门 {department} 不存在")
    problem = department_problem([role], found or None)
    if problem:
        raise click.UsageError(problem)
    ensure_user(current_app.appbuilder, username, name, role, department, password, email)
    click.echo(f"已创建用户 {username}")


@click.command("backup")
@click.option("--to", "target", default=None,
              help="备份文件（默认 instance/backups/console-<时间>.sqlite3 或 .dump）")
@with_appcontext
def backup_command(target):
    """A consistent copy of the database, taken while the console keeps running."""
    from app.backup import BackupError, backup, default_name
    from app.timeutil import now_cn
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if target is None:
        target = os.path.join(current_app.instance_path, "backups", default_name(url, now_cn()))
    try:
        backup(url, target)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"已备份到 {target}（{os.path.getsize(target):,} 字节）")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="不再询问确认")
@with_appcontext
def restore_command(source, yes):
    """Bring a backup back into the configured database, which must be empty."""
    from app.backup import BackupError, check_restorable, restore
    from app.extensions import db
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        db.engine.dispose()
        check_restorable(url, source)
        shown = db.engine.url.render_as_string(hide_password=True)
        if not yes:
            click.confirm(f"将备份 {source} 恢复到数据库 {shown}，继续吗？", abort=True)
        restore(url, source)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"已从 {source} 恢复（已核对校验值、迁移版本、操作日志触发器和各表行数）")
@click.command("db-optimize")
@with_appcontext
def optimize_command():
    """Refresh the planner's statistics (after migrations and bulk loads)."""
    from app.extensions import db
    from app.search import refresh_statistics
    refresh_statistics(db.session)
    click.echo("statistics refreshed")


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Threads running tasks (HUEY_WORKERS).")
@with_appcontext
def worker_command(workers):
    """Run the task queue's consumer: background exports, imports and periodic tasks."""
    from app.queue import run_consumer
    run_consumer(current_app._get_current_object(),
                 workers or current_app.config["HUEY_WORKERS"])
