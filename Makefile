# Civic: the two commands a new machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install demo demo-reset test test-fast lint translations bench-petitions bench-petition-page bench-equal-shares bench-faults bench-bad-inputs bench-opendata bench-opinion-groups bench-scaleout bench-scale bench-assemblies bench-newsletter

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

# PDF letters and sheets (civic/core/pdf.py) embed DejaVu Sans from Debian's fonts-dejavu-core.
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)

$(FONT):
	$(SUDO) apt-get install -y -q fonts-dejavu-core || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q fonts-dejavu-core; }

install: $(STAMP) $(FONT)
	$(FLASK) civic compile-translations >/dev/null

## Install, migrate the SQLite database, load the French demo data, start the server.
demo: install
	env -u DATABASE_URL -u REDIS_URL -u MAIL_URL $(FLASK) db upgrade
	env -u DATABASE_URL -u REDIS_URL -u MAIL_URL $(FLASK) civic demo
	env -u DATABASE_URL -u REDIS_URL -u MAIL_URL HOST=$(HOST) PORT=$(PORT) FLASK="$(FLASK)" scripts/run-demo

demo-reset: install
	rm -f instance/civic.db instance/civic.db-wal instance/civic.db-shm
	$(MAKE) demo

## Run the whole test suite (SQLite and inline jobs by default; CI sets
## TEST_DATABASE_URL and TEST_REDIS_URL to run it on PostgreSQL and Redis).
test: install
	scripts/ensure-chromium
	$(BIN)/pytest

## Everything but the browser flows (no Chromium needed): the quick loop while working.
test-fast: install
	$(BIN)/pytest -m "not browser"

lint: install
	$(BIN)/ruff check civic tests bench config.py wsgi.py

translations: install
	for m in "" $$(ls -d civic/*/translations | cut -d/ -f2); do $(FLASK) civic update-translations $$m; done

bench-petitions: install
	$(BIN)/python bench/bench_petitions.py

bench-petition-page: install
	$(BIN)/python bench/bench_petition_page.py

bench-equal-shares: install
	$(BIN)/python bench/bench_equal_shares.py

## A signing surge with a worker killed, Redis stopped and PostgreSQL restarted, on a private stack.
bench-faults: install
	$(BIN)/python bench/bench_faults.py

bench-bad-inputs: install
	$(BIN)/python bench/bench_bad_inputs.py

bench-opinion-groups: install
	$(BIN)/python bench/bench_opinion_groups.py
## Open data: daily series and dumps over 1,000,000 signatures and 100,000 proposals (wipes the database $BENCH_DATABASE_URL names).
bench-opendata: install
	$(BIN)/python bench/bench_opendata.py
## Two web nodes behind HAProxy against one, PostgreSQL primary and streaming replica, on a private stack.
bench-scaleout: install
	$(BIN)/python bench/bench_scaleout.py

## 10,000,000 signatures on one petition (COPY), 100 open petitions, on a private PostgreSQL cluster.
bench-scale: install
	$(BIN)/python bench/bench_scale.py
## A newsletter to 100,000 residents through the outbox into an SMTP sink, exactly once, flat memory.
bench-newsletter: install
	$(BIN)/python bench/bench_newsletter.py

## Maximin selection of a citizens' assembly against the legacy greedy and sortition-algorithms.
bench-assemblies: install
	$(BIN)/python bench/bench_assemblies.py
