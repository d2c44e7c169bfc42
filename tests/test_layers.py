"""Dependencies run one way: web, API and commands -> domain -> rules and tables; scheduler -> registry.

Read from the source's import statements (module level and inside functions alike).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path):
    """Every module a file imports, relative imports resolved to absolute names."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules(folder):
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def offenders(files, forbidden, allowed=()):
    bad = {}
    for path in files:
        if path.relative_to(ROOT).as_posix() in allowed:
            continue
        hits = sorted(m for m in imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden))
        if hits:
            bad[path.relative_to(ROOT).as_posix()] = hits
    return bad


def test_registry_never_imports_the_scheduler_except_to_register_its_commands():
    assert offenders(modules("registry"), ["scheduler"], allowed=["registry/cli/__init__.py"]) == {}


def test_the_date_rules_know_no_tables_no_web_app_and_no_domain():
    forbidden = ["registry.models", "registry.db", "registry.domain", "registry.views", "registry.api"]
    forbidden += ["peewee", "flask"]
    assert offenders(modules("registry/rules"), forbidden) == {}


def test_the_tables_know_no_reminder_rules_and_no_domain():
    files = [ROOT / "registry/models.py", ROOT / "registry/db.py"]
    assert offenders(files, ["registry.rules", "registry.domain", "scheduler"]) == {}


def test_the_domain_knows_no_views_api_or_commands():
    assert offenders(modules("registry/domain"), ["registry.views", "registry.api", "registry.cli", "flask_wtf"]) == {}


def test_the_check_itself_sees_imports():
    assert "registry.cli.common" in imports_of(ROOT / "scheduler/cli.py")
    assert "registry.db" in imports_of(ROOT / "registry/models.py")
    assert offenders([ROOT / "registry/cli/__init__.py"], ["scheduler"]) != {}
