# skyferry: cross-cloud live VM migration.
#
# Conventions the build relies on:
#   - each subsystem folder (transport/, hypervisor/, netcontinuity/) becomes a
#     static library; migrator/ and receiver/ link them;
#   - a file that defines main() is named main.c or *_main.c; every other .c
#     file is library code that the unit tests and fuzz targets link against;
#   - tests/**/test_*.c are Criterion tests, tests/**/fuzz_*.c are libFuzzer
#     targets;
#   - tests/guest/ holds the static guest tools, tests/lab/ the lab tools.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
B        := build

CC       := gcc
FUZZCC   ?= clang
PKG_CONFIG ?= pkg-config
PKGS     := libvirt openssl liblz4 libzstd libnl-3.0 libnl-route-3.0 libssh2 \
            libxml-2.0 jansson libnbd

# Only query pkg-config for targets that compile something; `make deps`,
# `make check` and `make demo` first install what is missing, then re-enter.
NOPKG_GOALS := deps clean check demo bench help
ifneq ($(filter-out $(NOPKG_GOALS),$(or $(MAKECMDGOALS),all)),)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ifeq ($(shell $(PKG_CONFIG) --exists $(PKGS) && echo ok),)
$(error missing build dependencies ($(PKGS)); run 'scripts/install-deps.sh' as root, or 'make deps')
endif
endif

WARN     := -Wall -Wextra -Werror
CPPFLAGS := -I. -D_GNU_SOURCE -DSKYFERRY_VERSION='"$(VERSION)"'
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS   = $(PKG_LIBS) -lm -lpthread

# Sources ---------------------------------------------------------------------
SUBSYS      := transport hypervisor netcontinuity
lib_srcs     = $(filter-out %main.c,$(wildcard $(1)/*.c))
SUBSYS_SRCS := $(foreach d,$(SUBSYS),$(call lib_srcs,$(d)))
MIG_SRCS    := $(call lib_srcs,migrator)
RCV_SRCS    := $(call lib_srcs,receiver)
LIB_SRCS    := $(SUBSYS_SRCS) $(MIG_SRCS) $(RCV_SRCS)
LIB_OBJS    := $(LIB_SRCS:%.c=$(B)/obj/%.o)

# Guest tools: static, no external libraries. Shared code is tests/guest/sf_*.c.
GUEST_LIB    := $(wildcard tests/guest/sf_*.c)
GUEST_MAINS  := $(wildcard tests/guest/*_main.c)
GUEST_TOOLS  := $(patsubst tests/guest/%_main.c,$(B)/guest-tools/sf-%,$(GUEST_MAINS))

# Lab tools (host side): the WAN emulator and verifiers.
LAB_LIB      := $(filter-out %main.c,$(wildcard tests/lab/*.c tests/lab/*/*.c))
# filter-out honours only the first %, so match test_/fuzz_ on the basename.
LAB_LIB      := $(foreach f,$(LAB_LIB),$(if $(filter test_% fuzz_%,$(notdir $(f))),,$(f)))
LAB_MAINS    := $(wildcard tests/lab/*_main.c tests/lab/*/*_main.c)
LAB_TOOLS    := $(foreach m,$(LAB_MAINS),$(B)/lab/sf-$(patsubst %_main.c,%,$(notdir $(m))))

TEST_SRCS    := $(shell find tests -name 'test_*.c' 2>/dev/null | sort)
FUZZ_SRCS    := $(shell find tests -name 'fuzz_*.c' 2>/dev/null | sort)
UNIT_OBJS    := $(TEST_SRCS:%.c=$(B)/obj/%.o) $(LIB_OBJS) \
                $(GUEST_LIB:%.c=$(B)/obj/%.o) $(LAB_LIB:%.c=$(B)/obj/%.o)

PROGS := $(B)/migrator $(B)/receiver

# Targets ---------------------------------------------------------------------
.PHONY: all deps install uninstall clean check check-run unit lab-test demo \
        guest tools fuzz fuzz-run format help bench
all: $(PROGS) $(LAB_TOOLS)

help:
	@echo "make            build migrator and receiver"
	@echo "make check      install deps, build, run unit and lab tests"
	@echo "make demo       install deps, bring the lab up, run the demo"
	@echo "make bench      the benchmark matrix (about 2 h; QUICK=1: 15 min)"
	@echo "make unit       unit tests only;  make lab-test  lab tests only"
	@echo "make fuzz       build and briefly run every libFuzzer target"
	@echo "make guest      build the test guest into \$$(B)/guest/ (build/guest/)"
	@echo "make install    install into \$$(DESTDIR)\$$(PREFIX)/bin"

deps:
	scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libsf.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(if $(LIB_OBJS),ar rcs $@ $(LIB_OBJS),ar rcs $@)

$(B)/migrator: $(B)/obj/migrator/main.o $(B)/libsf.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/receiver: $(B)/obj/receiver/main.o $(B)/libsf.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Guest tools are linked statically: the guest has only busybox.
GUEST_CFLAGS := -std=c11 $(WARN) -O2 -g -static -D_GNU_SOURCE -Itests/guest
$(B)/guest-tools/sf-%: tests/guest/%_main.c $(GUEST_LIB) $(wildcard tests/guest/*.h)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ $< $(GUEST_LIB)

tools: $(GUEST_TOOLS) $(LAB_TOOLS)

define lab_tool_rule
$(B)/lab/sf-$(patsubst %_main.c,%,$(notdir $(1))): $(B)/obj/$(1:%.c=%.o) $(LAB_LIB:%.c=$(B)/obj/%.o) $(GUEST_LIB:%.c=$(B)/obj/%.o) $(B)/libsf.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach m,$(LAB_MAINS),$(eval $(call lab_tool_rule,$(m))))

guest: $(GUEST_TOOLS)
	SKYFERRY_GUEST_TOOLS=$(B)/guest-tools SKYFERRY_GUEST_OUT=$(B)/guest scripts/mkguest

# Tests -----------------------------------------------------------------------
$(B)/tests/unit: $(UNIT_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

unit: $(B)/tests/unit
	$(B)/tests/unit --jobs=2

check:
	scripts/install-deps.sh
	$(MAKE) check-run

check-run: all tools guest $(B)/tests/unit
	$(B)/tests/unit --jobs=2
	$(MAKE) fuzz-run FUZZ_SECONDS=$${FUZZ_SECONDS:-10}
	tests/lab/run-all

lab-test: all tools guest
	tests/lab/run-all

# libFuzzer targets: each fuzz_*.c links every library and lab/guest object,
# rebuilt with clang and sanitizers.
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_LIB_OBJS := $(patsubst %.c,$(B)/fuzzobj/%.o,$(LIB_SRCS) $(GUEST_LIB) $(LAB_LIB))
FUZZ_BINS := $(patsubst tests/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZCC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -Itests/guest -MMD -MP \
		-c -o $@ $<

$(B)/fuzz/%: $(B)/fuzzobj/tests/%.o $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BINS)
	$(MAKE) fuzz-run

fuzz-run: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
		corpus=$$(dirname $$f)/corpus-$$(basename $$f); mkdir -p $$corpus; \
		seeds=tests/$$(echo $$f | sed 's|^$(B)/fuzz/||')-seeds; \
		echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
			-artifact_prefix=$$(dirname $$f)/ $$corpus \
			$$( [ -d $$seeds ] && echo $$seeds ) >$$f.log 2>&1; then \
			tail -n 40 $$f.log; \
			echo "fuzz: $$f FAILED; the input is saved beside it"; \
			exit 1; \
		fi; \
		tail -n 1 $$f.log; \
	done

# Keep the sanitizer objects between runs.
.SECONDARY:

# Demo ---------------------------------------------------------------
demo:
	scripts/install-deps.sh
	$(MAKE) all tools guest
	scripts/demo

# Benchmarks ------------------------------------------------------------------
# bench/matrix: skyferry against plain virsh, QEMU TLS, multifd and SSH in
# the lab; results in bench/results/. QUICK=1 for the short matrix.
bench:
	scripts/install-deps.sh
	$(MAKE) all tools guest
	bench/matrix

# Install ---------------------------------------------------------------------
install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/migrator $(DESTDIR)$(BINDIR)/receiver

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
