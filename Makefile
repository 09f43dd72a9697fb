# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
# The demo needs only the lean default install (no torch); the tests add the [hf,dev] extras.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
FULL := $(VENV)/.installed-full

.PHONY: venv demo test lint chromium eval bench train train-other distill train-full clean container-test compose-check bench-scale

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null

$(BASE): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $(BASE)

$(FULL): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[hf,dev]'
	touch $(FULL) $(BASE)

venv: $(FULL)

demo: $(BASE)
	$(BIN)/monitor replay samples/demo --output text

# Debian's chromium for the console's browser tests (Playwright drives it; never `playwright install`).
# Installed when missing; failing to install fails the run (the browser tests are not skipped).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null; } || { echo "make: cannot install chromium: the console's browser tests need it (apt-get install -y chromium, as root)" >&2; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { echo "make: chromium is still missing" >&2; exit 1; }

test: $(FULL) chromium
	$(BIN)/ruff check monitor classifiers tests bench
	$(BIN)/pytest -q

lint: $(FULL)
	$(BIN)/ruff check monitor classifiers tests bench

# the corpus test split, the feed-level test set (per post, then after a replay through the pipeline), and the
# development feed the shipped model was neither trained nor calibrated on (likewise)
eval: $(BASE)
	$(BIN)/monitor evaluate
	$(BIN)/monitor evaluate --feed classifiers/data/feed/feed_a.jsonl --feed classifiers/data/feed/feed_b.jsonl
	$(BIN)/monitor evaluate --feed classifiers/data/feed_dev3b.jsonl
	$(BIN)/monitor evaluate classifiers/data/short/short_s1.jsonl --split all
	$(BIN)/monitor evaluate classifiers/data/short/short_s2.jsonl --split all
	$(BIN)/monitor evaluate classifiers/data/short/short_s3.jsonl --split all
	$(BIN)/monitor evaluate classifiers/data/short/short_s4.jsonl --split all
	$(BIN)/monitor evaluate classifiers/data/short/short_s5.jsonl --split all

# the head of the shipped classifier, on the shipped encoder (fine-tuned on train's labels); its settings are
# pinned at the values the dev split chose before the balanced short-post slice joined the corpus (with it, the
# dev split's choice moves by less than its noise, towards settings the development feeds do not bear out)
# seven development feeds join the train split, each also tuning the thresholds scored by the head fitted
# without it; feed_dev3b stays out (the development set choices and the feedback gate are made on); each item
# of a roundup or a numbered thread is scored too (chosen by leaving one development feed out: bench/feed_cv.py)
TRAIN_FEEDS = $(foreach f,feed_dev story_feed_v2 feed_dev2a feed_dev2b feed_dev3a feed_dev3c feed_dev3d,--train-on classifiers/data/$(f).jsonl)
# then the item bars (an item alone gives threat or attack_claim only at a higher score than the threshold) are
# chosen on the other 21 development feeds and written into meta.json (bench/item_bars.py)
ITEM_FEEDS = $(foreach f,3b 4a 4b 4c 4d 5a 5b 5c 5d 6a 6b 6c 6d 7a 7b 8a 8b 9a 9b 10a 10b,--feed classifiers/data/feed_dev$(f).jsonl)
train: $(BASE)
	$(BIN)/monitor train --select-on dev --segments --l2 100 --blend 0.5 --denial 0.75 $(TRAIN_FEEDS)
	$(BIN)/python -m bench.item_bars $(ITEM_FEEDS) --write
	$(MAKE) train-other

# the head for Kurdish, Persian and Turkish posts (off by default: MONITOR_OTHER_LANGUAGES=classify turns it on),
# on classifiers/data/other_languages.jsonl, the corpus's such posts and the development feeds of rounds 1-12
# (rounds 13-16, the test feed and other_languages_eval.jsonl measure it)
OTHER_FEEDS = $(foreach f,feed_dev feed_dev2a feed_dev2b $(foreach r,3 4 5 6,$(foreach c,a b c d,feed_dev$(r)$(c))) $(foreach r,7 8 9 10 11 12,$(foreach c,a b,feed_dev$(r)$(c))),--train-on classifiers/data/$(f).jsonl)
train-other: $(BASE)
	$(BIN)/python -m classifiers.other_languages $(OTHER_FEEDS)

# the shipped encoder's recipe (torch; ~1.5 h on 2 cores): stage 1 follows the teacher's embeddings,
# stages 2 and 3 (new seeded variants each) add the pairwise-cosine and label losses; a head is fitted on
# stage 3; stage 4 fine-tunes the student end to end on the train split's labels through that head (the
# pairwise term keeps the geometry story matching relies on); stage 5 continues it at a lower rate (it was run
# on corpus v3, stages 1-4 on corpus v2); then the head is refitted, chosen on dev, thresholds calibrated.
# Story thresholds for a new encoder: python -m bench.stories --tune, into meta.json.
distill: $(FULL)
	$(BIN)/monitor distill --out build/student-stage1.npz --layers 4 --epochs 5 --seed 13
	$(BIN)/monitor distill --out build/student-stage2.npz --init build/student-stage1.npz --layers 4 --epochs 4 \
		--lr 1e-4 --per-text 4 --seed 14 --relational 10 --supervised 0.2
	$(BIN)/monitor distill --out build/student-stage3.npz --init build/student-stage2.npz --layers 4 --epochs 3 \
		--lr 5e-5 --per-text 4 --seed 15 --relational 30 --supervised 0.2
	$(BIN)/monitor train --backbone e5-distilled:build/student-stage3.npz --out build/stage3-model
	$(BIN)/monitor distill --out build/encoder.npz --init build/student-stage3.npz --layers 4 --epochs 3 \
		--lr 1.5e-4 --per-text 0 --seed 13 --relational 10 --supervised 2 --probe-init build/stage3-model/head.npz
	$(BIN)/monitor train --backbone e5-distilled:build/encoder.npz --select-on dev --out build/stage4-model
	$(BIN)/monitor distill --out build/encoder5.npz --init build/encoder.npz --layers 4 --epochs 2 \
		--lr 5e-5 --per-text 0 --seed 13 --relational 10 --supervised 2 --probe-init build/stage4-model/head.npz
	$(BIN)/monitor train --backbone e5-distilled:build/encoder5.npz --select-on dev --segments $(TRAIN_FEEDS) --out build/model

# the 12-layer reference behind --model full
train-full: $(BASE)
	$(BIN)/monitor train --backbone e5-passage --out classifiers/models/full

bench: $(FULL)
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.classify_speed
	$(BIN)/python -m bench.e2e
	$(BIN)/python -m bench.stories

# the image built and run as a service with podman or docker (a loud skip line where neither works)
container-test:
	bash scripts/container-test.sh

# the compose stack (host-network override) brought up, fed, a classifier replaced, brought down
compose-check:
	bash scripts/compose-check.sh

# replay throughput with 1, 2 and 4 classifier processes on one Redis (REDIS_URL or a local server)
bench-scale: $(BASE)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
