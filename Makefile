# The two commands a learner needs are `make` (set up, then run the main job) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: all setup demo test reproduce site browser export readme check
all: setup demo

$(BIN)/lottogpt: pyproject.toml setup.py
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

setup: $(BIN)/lottogpt
	@# A fresh clone has no output-stripping filter: install it, keeping cell ids (nbdev's export markers use them).
	@# `nbstripout --install` drops --keep-id from the filter it writes, so the filter commands are set here instead.
	$(BIN)/nbstripout --install --attributes .gitattributes --python "$(abspath $(BIN)/python)"
	git config filter.nbstripout.clean '"$(abspath $(BIN)/python)" -m nbstripout --keep-id'
	git config diff.ipynb.textconv '"$(abspath $(BIN)/python)" -m nbstripout --keep-id -t'

demo: setup
	@# Train chapter 08's CPU recipe (minutes on a laptop; a second `make` reuses the run), then let it be the program for
	@# one purchase of 20 tickets, next to the real program's statistics for the tickets its ticket draw drew. Most
	@# purchases win nothing; seed 3 draws tickets of which one wins, so that the counting shows.
	test -f runs/cpu_recipe/model.safetensors || $(BIN)/lottogpt train --config cpu_recipe --out runs/cpu_recipe
	printf '20000\n1,2,3,4,5,6\n7\n' | $(BIN)/lottogpt play --model runs/cpu_recipe --seed 3

test:
	@# Every notebook runs top to bottom (cells flagged slow or cuda skipped) and its outputs become the website in
	@# runs/site; then the browser test drives JupyterLab and the site in headless Chromium (`make browser` installs it).
	$(BIN)/python web/build.py --do-print
	$(BIN)/python -m pytest -q tests

reproduce: setup
	@# The long cells too (flagged slow, skipped by `make test`): each chapter's laptop run, one notebook at a time.
	@# No time limit per cell: a laptop run may take longer than the tests' ten minutes a cell.
	$(BIN)/nbdev-test --flags slow --n-workers 1 --do-print --timing --cell-timeout 0

site:
	$(BIN)/python web/build.py

browser:
	@# Debian's Chromium (Playwright drives it; it never downloads a browser of its own) and fonts for the Korean text.
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium chromium-driver fonts-noto-cjk

export:
	$(BIN)/nbdev-export
	$(MAKE) readme

readme:
	$(BIN)/jupyter nbconvert --to markdown --log-level WARN --stdout nbs/index.ipynb > README.md

check:
	@# Checkpoints and big files belong in the git-ignored runs/ folder.
	@bad=$$( { git ls-files -z | xargs -0 -r du -b | awk '$$1 > 5000000 {print $$2}'; \
	          git ls-files '*.pt' '*.pth' '*.ckpt' '*.safetensors' '*.bin'; } | sort -u ); \
	if [ -n "$$bad" ]; then echo "tracked checkpoints or files over 5 MB:"; echo "$$bad"; exit 1; fi; \
	echo "no tracked checkpoints or files over 5 MB"
