"""Console commands: `flask init-roles`, `flask load-demo`, `flask create-user`."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.passwords import password_problem


def register_cli(app):
    app.cli.add_command(init_roles_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(optimize_command)


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
    ensure_user(current_app.appbuilder, username, name, role, department, password, email)
    click.echo(f"已创建用户 {username}")


@click.command("db-optimize")
@with_appcontext
def optimize_command():
    """Refresh the planner's statistics (after migrations and bulk loads)."""
    from app.extensions import db
    from app.search import refresh_statistics
    refresh_statistics(db.session)
    click.echo("statistics refreshed")
