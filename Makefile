# Överenskommelseregistret. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-dev chromium libreoffice db lint format clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Tests drive Debian's Chromium; Playwright never downloads a browser.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium package (needed by the browser tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The spreadsheet tests open exports in LibreOffice (headless), from Debian.
libreoffice:
	@command -v soffice >/dev/null || { \
	  echo "Installing Debian's libreoffice-calc-nogui package (needed by the spreadsheet tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-calc-nogui; }

db: install
	$(BIN)/flask init-db
	$(BIN)/flask seed --if-empty --demo-users

# Web (gunicorn), scheduler and, without MAIL_SERVER, a local mail sink shown at /mail.
run: db
	PORT=$(PORT) VENV=$(VENV) scripts/run-dev.sh

# PostgreSQL: TEST_DATABASE_URL, else 127.0.0.1:5432/test, else a throwaway cluster that
# scripts/with-postgres.sh starts (installing Debian's postgresql if missing) and removes.
test: install-dev chromium libreoffice wrk
	VENV=$(VENV) scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the UI strings (Swedish msgids), merge them into every catalogue and compile
# the .mo files. New strings arrive untranslated: translate them in
# translations/en/LC_MESSAGES/messages.po, then run this again. See docs/i18n.md.
BABEL_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k _l -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
translations: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --add-comments=Translators: \
	  --project=Överenskommelseregistret -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache test-output

# Benchmarks (docs/performance.md). Modest sizes by default; `make bench BENCH_FULL=1` runs the
# issue's sizes (100,000 agreements, 1,000,000 log rows; about an hour on 2 cores). BENCH_DB=postgres
# runs on PostgreSQL (TEST_DATABASE_URL, default 127.0.0.1:5432/test; a bench_* database is made and dropped).
.PHONY: bench wrk
BENCH_DB ?= sqlite
ifdef BENCH_FULL
BENCH_SIZE := 100000
BENCH_SIZES := 10000 100000
BENCH_SMTP := 1000
else
BENCH_SIZE := 10000
BENCH_SIZES := 1000 10000
BENCH_SMTP := 300
endif

# wrk, the load generator of bench/throughput.py, from Debian (as root, or through sudo).
wrk:
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

bench: install wrk
	$(BIN)/python bench/pages.py --agreements $(BENCH_SIZE) --database $(BENCH_DB)
	$(BIN)/python bench/throughput.py --agreements $(BENCH_SIZE) --database $(BENCH_DB)
	$(BIN)/python bench/reminder_pass.py --sizes $(BENCH_SIZES) --database $(BENCH_DB)
	$(BIN)/python bench/smtp.py --messages $(BENCH_SMTP)
	$(BIN)/python bench/export.py --rows 1000 5000
	$(BIN)/python bench/login_timing.py
