# `make demo` and `make test` work on a fresh clone: each creates .venv and installs the package
# with every extra in one pip resolution (regular torch from the registry; see DEVELOPERS.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Nothing may download at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test lint bench notebooks clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/curriculum demo

test: lint
	$(PY) -m pytest --nbmake tests notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check curriculum tests benchmarks scripts
	$(VENV)/bin/ruff format --check curriculum tests benchmarks scripts
	$(VENV)/bin/mypy curriculum

bench: $(STAMP)
	$(PY) benchmarks/orderings.py
	$(PY) benchmarks/sampler_speed.py
	$(PY) benchmarks/scorer_speed.py
	$(PY) benchmarks/embedding_speed.py
	$(PY) benchmarks/ray_scoring.py
	$(PY) benchmarks/streaming_speed.py
	$(PY) benchmarks/packing.py

notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py

clean:
	rm -rf $(VENV) .curriculum-cache .pytest_cache .mypy_cache .ruff_cache schedule.png
