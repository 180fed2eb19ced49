"""Where the installed tree lies: the package and the project folder around it (templates, examples)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
EXAMPLES_DIR = PROJECT_DIR / "examples"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
