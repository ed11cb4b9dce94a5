# nova-engine: build, test, install. `make V=1` shows the commands.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
CC      ?= cc
PYTHON  ?= /usr/bin/python3
PKGS    := fuse3 libcurl libcjson libsodium

CFLAGS  ?= -O2 -g
# snprintf truncation of over-long paths is checked where it matters.
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -MMD -MP -I. \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

B       := build$(if $(filter 1,$(SANITIZE)),-san)
STORE   := $(patsubst %.c,$(B)/%.o,$(wildcard store/*.c))
FACES   := $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c fs/*.c))
UNITS   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/*.c))

Q := @
ifeq ($(V),1)
Q :=
endif

all: $(B)/nova-engine

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

$(B)/bench/%: tests/bench/%.c $(B)/libnovastore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libnovastore.a $(LDLIBS)

# Unit tests first, then the integration suite: its summary is the last line.
test: all $(UNITS)
	$(Q)for t in $(UNITS); do $$t >$$t.log 2>&1 || { cat $$t.log; echo "unit test failed: $$t"; exit 1; }; \
	  echo "  PASS  $$t"; done
	$(Q)NOVA_ENGINE_BIN=$(CURDIR)/$(B)/nova-engine $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

bench: all $(BENCHES)
	$(Q)NOVA_ENGINE_BIN=$(CURDIR)/$(B)/nova-engine BENCH_DIR=$(CURDIR)/$(B)/bench \
	  $(PYTHON) tests/bench/run.py

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/nova-engine $(DESTDIR)$(BINDIR)/nova-engine

clean:
	rm -rf $(B)

.PHONY: all test bench install clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
