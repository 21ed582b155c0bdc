# heapgate — two commands matter on a fresh clone:
#   make loadtest   set up, then leaky vs fixed job-flow with a before/after report
#   make test       set up, then the unit and end-to-end tests
# Set-up is part of both: npm dependencies, the TypeScript build, and k6 (found, or built once
# with Go into ~/.cache/heapgate; see "Where heapgate finds k6" in the README). Results go to
# ./heapgate-results.
SHELL := /bin/bash
HEAPGATE := node dist/cli/main.js
PROFILE ?= default

.PHONY: setup build k6 pack loadtest test test-unit test-e2e report typecheck clean bench-upload bench-readings bench-report bench-detect bench-sampler

setup: k6

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

build: node_modules/.package-lock.json
	@npm run --silent build

k6: build
	@$(HEAPGATE) setup >/dev/null

# The package as npm would publish it (heapgate-<version>.tgz here); `npm pack --dry-run` lists it.
pack: build
	npm pack

# SCENARIOS=all runs every scenario (seed 002's model-load needs root for its cgroup memory limit).
SCENARIOS ?= job-flow upload-flood
loadtest: setup
	@$(HEAPGATE) loadtest --profile $(PROFILE) --scenario $(SCENARIOS)

# The unit tests (seconds) and the end-to-end ones (real k6, real targets, Maven and PyPI fixtures built once into .tools/): 20–30 minutes on 2 cores.
test: setup
	node --test --test-reporter=spec dist/test/

test-unit: build
	node --test --test-reporter=spec dist/test/target-app dist/test/monitor dist/test/reports dist/test/run dist/test/cli dist/test/bench

test-e2e: setup
	node --test --test-reporter=spec dist/test/e2e

# Re-render from recorded runs without running anything: make report BEFORE=dir AFTER=dir
report: build
	$(HEAPGATE) compare $(BEFORE) $(AFTER)

# Seed 000's upload blow-ups on the real target, leaky vs fixed: memory, early 413, retention.
# A few minutes and ~6 GB of RAM at the leaky peak; BENCH_ARGS=--json also writes heapgate-results/.
# Seed 000's figures: 10 × 100 MB concurrent uploads, a 1 GB upload's 413, disk after retention.
bench-upload: build
	node dist/bench/upload-memory.js $(BENCH_ARGS)

# Per runtime (JVM, Node, CPython): the cost of one forced-GC reading and the noise of 10 of them
# on an idle service, next to RSS's noise. Table on stderr, JSON on stdout.
bench-readings: build
	node dist/bench/readings.js $(BENCH_ARGS)

# Detection power: the fixed target with an injected leak of N B/job (N = 0 … 16384), 10 clean runs
# and 3 per N, through the real protocol, default and smoke profiles: leaks/settles/inconclusive and
# time to verdict per N, the false alarms on N = 0. Table on stderr, JSON on stdout and in the out dir.
# Quick: BENCH_ARGS="--profile smoke --clean-repeats 2 --repeats 1 --sizes 0,16384"
bench-detect: setup
	node dist/bench/detect.js $(BENCH_ARGS)

# heapgate's sampler (before/after issue 11's proc source, and the whole Sampler) against pidstat on
# a tree of 1, 10, 100 children at 1, 10, 50 Hz: CPU per tick, ratios, tick lateness. Installs
# sysstat with apt-get when pidstat is missing. Quick: BENCH_ARGS="--seconds 3 --children 10 --rates 10"
bench-sampler: build
	node dist/bench/sampler.js $(BENCH_ARGS)

# report.html of two recorded runs and their comparison: size and render time (nothing is run).
bench-report: build
	node dist/bench/report-render.js $(BEFORE) $(AFTER)

typecheck: node_modules/.package-lock.json
	npm run --silent typecheck

clean:
	rm -rf dist
