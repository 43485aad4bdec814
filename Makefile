# Smart Health Responder — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi
# PostgreSQL for the tests that must also prove themselves there (skipped, with the reason, if unreachable).
export TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: venv run test test-quick bench lint fmt migrate seed clean translations

$(STAMP): setup.cfg setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Compiled catalogues are built, not committed (parallel branches merge the .po files, never the .mo).
CATALOGUES := $(wildcard health_responder/translations/*/LC_MESSAGES/messages.po)
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

venv: $(STAMP) $(CATALOGUES:.po=.mo)

migrate: venv
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed demo --if-empty

# Web server (gunicorn) and scheduler as two processes; Ctrl-C stops both.
run: seed
	@echo "Serving on http://127.0.0.1:5000  (API docs: http://127.0.0.1:5000/api/v1/docs)"
	@$(BIN)/flask scheduler run & SCHED=$$!; \
	trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:5000 --access-logfile - wsgi:app

# pytest-xdist runs the tests on every core (TEST_WORKERS=0 runs them in this process, one after another);
# worksteal: a worker that is done takes the waiting tests of the other (the slow tests are uneven).
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist worksteal
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(XDIST) --durations=25

# The inner loop, under three minutes: no browser, no fuzzing, no load, nothing marked slow (real
# processes, threads racing, thousands of rows). The markers are declared in setup.cfg; the three
# folders are also left uncollected (the fuzz module builds its app and schema at import).
QUICK := not (slow or browser or fuzz or load)
test-quick: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(XDIST) -m "$(QUICK)" --ignore=tests/browser --ignore=tests/fuzz --ignore=tests/load

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# WeasyPrint (the PDF comparison) needs Debian's pango; without it that column is reported as not measured.
bench: venv
	-$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/run_all.py

# Extract every message (babel.cfg), merge it into each catalogue, compile. New messages arrive
# untranslated in health_responder/translations/*/LC_MESSAGES/messages.po: translate them (the page
# tests fail until every catalogue is complete), then run this again to compile.
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project "Smart Health Responder" --copyright-holder "Smart Health Responder" \
		-o health_responder/translations/messages.pot .
	$(BIN)/pybabel update -i health_responder/translations/messages.pot -d health_responder/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d health_responder/translations --statistics

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) *.egg-info
