# nova-engine: build, test, install. `make V=1` shows the commands.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
CC      ?= cc
PYTHON  ?= /usr/bin/python3
PKGS    := fuse3 libcurl libcjson libsodium
# libcurl is loaded with dlopen on first network use (store/curl_dl.c), and
# libfuse3 when a mount starts (fs/fuse_dl.c): their headers are used, the
# libraries are not linked (docs/benchmarks-notes.md says what that saves).
LINKED  := libcjson libsodium

CFLAGS  ?= -O2 -g
# snprintf truncation of over-long paths is checked where it matters.
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -MMD -MP -I. \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(LINKED)) -lpthread
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

B       := build$(if $(filter 1,$(SANITIZE)),-san)
STORE   := $(patsubst %.c,$(B)/%.o,$(wildcard store/*.c))
FACES   := $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c fs/*.c))
UNITS   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/*.c))
DRIVERS := $(patsubst tests/drivers/%.c,$(B)/drivers/%,$(wildcard tests/drivers/*.c))

FUZZERS := envelope config dotenv credential command response document
REPLAYS := $(patsubst %,$(B)/fuzz/replay_%,$(FUZZERS))
FUZZ_SECONDS ?= 60
FB      := build-fuzz

Q := @
ifeq ($(V),1)
Q :=
endif

MANS    := $(B)/man/nova-engine.1 $(B)/man/nova-engine-fs.5

all: $(B)/nova-engine $(MANS)

# The man pages come from the binary's own tables (cli/man.c).
$(B)/man/nova-engine.1: $(B)/nova-engine
	@mkdir -p $(dir $@)
	$(Q)$(B)/nova-engine --man 1 > $@
$(B)/man/nova-engine-fs.5: $(B)/nova-engine
	@mkdir -p $(dir $@)
	$(Q)$(B)/nova-engine --man 5 > $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/libnovastore.a: $(STORE)
	@[ "$(V)" = 1 ] || echo "  AR    $@"
	$(Q)$(AR) rcs $@ $^

$(B)/nova-engine: $(FACES) $(B)/libnovastore.a
	@[ "$(V)" = 1 ] || echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libnovastore.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libnovastore.a $(LDLIBS) -lcmocka

# Command-line drivers of store/ modules that the integration tests run.
$(B)/drivers/%: tests/drivers/%.c $(B)/libnovastore.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libnovastore.a $(LDLIBS)

# the floor FUSE filesystem links libfuse3 the ordinary way
$(B)/bench/minfs: LDLIBS += $(shell pkg-config --libs fuse3)
$(B)/bench/%: tests/bench/%.c $(B)/libnovastore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libnovastore.a $(LDLIBS)

# Each fuzz harness, driven by a plain main over its corpus and the crashes
# kept as regressions: make test replays them all.
$(B)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(B)/libnovastore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c $< $(B)/libnovastore.a $(LDLIBS)

# Unit tests first, then the integration suite: its summary is the last line.
test: all $(UNITS) $(REPLAYS) $(DRIVERS)
	$(Q)for t in $(UNITS); do $$t >$$t.log 2>&1 || { cat $$t.log; echo "unit test failed: $$t"; exit 1; }; \
	  echo "  PASS  $$t"; done
	$(Q)for f in $(FUZZERS); do $(B)/fuzz/replay_$$f tests/fuzz/corpus/$$f tests/fuzz/regressions/$$f >/dev/null || \
	  { echo "fuzz replay failed: $$f"; exit 1; }; echo "  PASS  fuzz replay $$f"; done
	$(Q)NOVA_ENGINE_SANITIZE=$(SANITIZE) NOVA_ENGINE_BIN=$(CURDIR)/$(B)/nova-engine NOVA_ENGINE_DRIVERS=$(CURDIR)/$(B)/drivers \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# libFuzzer over every harness for FUZZ_SECONDS each (clang, ASan, UBSan).
# New inputs stay in $(FB)/corpus; a crash fails the run and is saved under
# $(FB)/crashes: copy it into tests/fuzz/regressions/<harness>/ to keep it.
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -I. -Itests/fuzz $(shell pkg-config --cflags $(PKGS)) \
               -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	@mkdir -p $(FB)/obj $(FB)/crashes
	$(Q)for src in store/*.c; do clang $(FUZZ_CFLAGS) -c $$src -o $(FB)/obj/$$(basename $$src .c).o || exit 1; done
	$(Q)for f in $(FUZZERS); do \
	  clang $(FUZZ_CFLAGS) -fsanitize=fuzzer tests/fuzz/fuzz_$$f.c $(FB)/obj/*.o $(LDLIBS) -o $(FB)/fuzz_$$f || exit 1; \
	  mkdir -p $(FB)/corpus/$$f; cp -n tests/fuzz/corpus/$$f/* $(FB)/corpus/$$f/ 2>/dev/null; \
	  echo "  FUZZ  $$f for $(FUZZ_SECONDS)s"; \
	  $(FB)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -print_final_stats=0 \
	    -artifact_prefix=$(FB)/crashes/$$f- $(FB)/corpus/$$f tests/fuzz/regressions/$$f >$(FB)/$$f.log 2>&1 || \
	    { tail -30 $(FB)/$$f.log; echo "fuzz: $$f crashed; the input is in $(FB)/crashes/"; exit 1; }; \
	  grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" $(FB)/$$f.log | tail -1; done

# The CLI integration tests with every command under valgrind memcheck.
valgrind: all
	$(Q)NOVA_ENGINE_VALGRIND=1 NOVA_ENGINE_BIN=$(CURDIR)/$(B)/nova-engine $(PYTHON) -m pytest -q -p no:cacheprovider \
	  tests/integration/test_cli.py tests/integration/test_bad_input.py

# Everything CI runs beyond make test: sanitizers, valgrind, fuzzing.
reliability:
	$(MAKE) test SANITIZE=1
	$(MAKE) valgrind
	$(MAKE) fuzz

bench: all $(BENCHES)
	$(Q)NOVA_ENGINE_BIN=$(CURDIR)/$(B)/nova-engine BENCH_DIR=$(CURDIR)/$(B)/bench \
	  $(PYTHON) tests/bench/run.py

MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/user
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/doc/nova-engine
	install -m 0755 $(B)/nova-engine $(DESTDIR)$(BINDIR)/nova-engine
	install -m 0755 scripts/auth-monitor.sh $(DESTDIR)$(BINDIR)/nova-engine-auth-monitor
	install -m 0644 $(B)/man/nova-engine.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(B)/man/nova-engine-fs.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|ExecStart=nova-engine|ExecStart=$(BINDIR)/nova-engine|' scripts/systemd/nova-engine-mount.service \
	  > $(DESTDIR)$(UNITDIR)/nova-engine-mount.service
	sed 's|ExecStart=nova-engine-auth-monitor|ExecStart=$(BINDIR)/nova-engine-auth-monitor|' \
	  scripts/systemd/nova-engine-auth-monitor.service > $(DESTDIR)$(UNITDIR)/nova-engine-auth-monitor.service
	install -m 0644 scripts/systemd/nova-engine-auth-monitor.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 scripts/completion/nova-engine.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/nova-engine
	install -m 0644 scripts/completion/_nova-engine $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_nova-engine
	install -m 0755 scripts/termux/nova-engine-status.sh $(DESTDIR)$(PREFIX)/share/doc/nova-engine/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/nova-engine/

clean:
	rm -rf build build-san $(FB)

.PHONY: all test fuzz valgrind reliability bench install clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
