# Two commands on a fresh machine: `make up` (install and run), `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test test-fast lint typecheck bench clean lock

# Every dependency comes from requirements.lock (exact versions, sha256 hashes);
# the project itself is then installed without resolving anything.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $(STAMP)

## Re-resolve every dependency (newest versions allowed by pyproject.toml) into requirements.lock.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra dev --upgrade --generate-hashes \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -o requirements.lock

## Install, upgrade the database, load the examples and run the system locally
## (`make up PORT=4300 SMTP_PORT=8026` for other ports).
up: $(STAMP)
	$(BIN)/cdppe up $(if $(PORT),--port $(PORT)) $(if $(SMTP_PORT),--smtp-port $(SMTP_PORT)) \
		$(if $(DOCS_PORT),--documents-port $(DOCS_PORT))

## Install and run the whole test suite (SQLite and PostgreSQL), then lint and type-check.
## tests/e2e drive the Prefect UI with Debian's Chromium: installed first when missing (idempotent).
## PDF tests need LibreOffice (python3-uno: its warm converter; pdftotext reads the PDFs): likewise.
test: $(STAMP)
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	test -x /usr/bin/soffice && test -x /usr/bin/pdftotext && /usr/bin/python3 -c "import uno" 2>/dev/null \
		|| (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libreoffice-writer-nogui python3-uno poppler-utils fonts-dejavu-core fonts-liberation2)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider

## The two fast tiers alone (tests/unit, tests/db on SQLite and PostgreSQL; slow tests left out).
test-fast: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/unit tests/db -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data out
