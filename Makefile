# locklab: the one entry point. `make help` lists every target.
#
# The public targets first make sure the Debian packages they need are there
# (scripts/ensure-deps installs only what is missing), then call this Makefile
# again for the real work, so that pkg-config and the wildcards below are read
# after the install, not before.

SHELL := /bin/bash
space := $(subst ,, )
.DEFAULT_GOAL := all
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

BUILD ?= build
CC := gcc
CXX := g++
WARN := -Wall -Wextra -Werror
CFLAGS = -std=gnu11 -g -O2 -pthread $(WARN)
CXXFLAGS = -std=c++17 -g -O2 -pthread $(WARN)
TSAN_FLAGS = -std=gnu11 -g -O1 -pthread -fsanitize=thread $(WARN)
# Bench builds: link-time optimisation lets the measured call be inlined into
# the timing loop, and the pause hook compiles to nothing.
BENCH_FLAGS = -std=gnu11 -g -O2 -pthread -flto -DLAB_NO_PAUSE $(WARN)
DEPFLAGS = -MMD -MP
# The torture driver's build of an implementation (and the grader's, which
# reads these with print-): its synchronisation calls, atomics and basic
# blocks, and with -fsanitize=thread linked to our runtime instead of
# ThreadSanitizer's its loads and stores, can be perturbed by the driver
# (labs/common/perturb.c says how).
PERTURB_CFLAGS = -fsanitize-coverage=trace-pc -fsanitize=thread --param=tsan-instrument-func-entry-exit=0
PERTURB_INC = labs/common/perturb
PERTURB_SYMS = labs/common/perturb.syms
HWLOC_CFLAGS := $(shell pkg-config --cflags hwloc 2>/dev/null)
HARNESS_LIBS := -lbenchmark $(shell pkg-config --libs hwloc 2>/dev/null) -lpthread

LABS := $(sort $(patsubst labs/%/,%,$(dir $(wildcard labs/[0-9][0-9]-*/grade.bats))))
lab_impls = $(basename $(notdir $(wildcard $(addprefix labs/$(1)/,broken.c fixed.c alt-*.c))))

# The harness core (Google Benchmark shim, pinning) goes into every bench
# binary; the engine (regimes, workloads, the GIL) into locklab-bench only.
HARNESS_OBJ := $(BUILD)/harness/gbench.o $(BUILD)/harness/pin.o
# The GIL regime's lock is lab 17's reference: one implementation, not two.
# The student copy has no reference: there it is the student's own GIL.
GIL_IMPL ?= $(firstword $(wildcard labs/17-gil/fixed.c labs/17-gil/student.c) labs/17-gil/fixed.c)
ENGINE_OBJ := $(BUILD)/harness/regime.o $(BUILD)/harness/gil.o \
              $(patsubst %.c,$(BUILD)/%.o,$(wildcard harness/workloads/*.c))
GBENCH_VERSION := $(shell pkg-config --modversion benchmark 2>/dev/null)
HWLOC_VERSION := $(shell pkg-config --modversion hwloc 2>/dev/null)
# Labs with a workload.c register it with the harness; their implementations
# are linked in side by side, each with its global symbols prefixed by its
# lab and name (lab01_fixed__counter_inc, lab01_alt_atomic__counter_inc, ...).
WORKLOAD_LABS := $(patsubst labs/%/workload.c,%,$(wildcard labs/*/workload.c))
lab_workload_objs = $(BUILD)/engine/$(1)/workload.o \
    $(foreach i,$(call lab_impls,$(1)),$(BUILD)/engine/$(1)/$(i).o)
ENGINE_OBJ += $(foreach l,$(WORKLOAD_LABS),$(call lab_workload_objs,$(l)))
TEST_PROGS := $(patsubst tests/c/%.c,$(BUILD)/tests/%,$(wildcard tests/c/test_*.c))

# ---- public targets -------------------------------------------------------
.PHONY: all build test meta mutants bench plots help clean start check grade deps gradescope autolab prairielearn dist-student

all: ## build every lab (normal, ThreadSanitizer and bench builds), the harness and the tests
	@scripts/ensure-deps build
	@$(MAKE) --no-print-directory build

test: ## install what is missing, build, run the project's own tests (last line: N passed, N failed)
	@if [[ ! -x tests/run ]]; then echo "locklab: this copy has no tests of its own; grade your work with: make check LAB=NN" >&2; exit 2; fi
	@scripts/ensure-deps test
	@$(MAKE) --no-print-directory build
	@tests/run

meta: ## the meta-test's full proof: every lab's fixed.c and alt-*.c full marks, broken.c caught, 20 runs each (10 min or more on 2 cores)
	@scripts/ensure-deps test
	@$(MAKE) --no-print-directory build
	@tests/meta --runs 20

mutants: ## the mutation corpus's full proof: every mutant of every fixed.c and alt-*.c, and every half-fix, caught in 20 of 20 grades (hours on 2 cores; LAB=NN for one lab, RUNS=N)
	@scripts/ensure-deps test
	@$(MAKE) --no-print-directory build
	@tests/mutants/run --runs $(or $(RUNS),20) $(if $(LAB),$$(scripts/lab resolve '$(LAB)'))

bench: ## measure: the course's table, gil vs object vs process (under a minute); LAB=NN: one lab beside its reference
	@if [[ -n "$(LAB)" ]]; then scripts/lab resolve '$(LAB)' >/dev/null || exit 2; fi
	@scripts/ensure-deps bench
	@if [[ -n "$(LAB)" ]]; then \
	    lab=$$(scripts/lab resolve '$(LAB)') || exit 2; \
	    $(MAKE) --no-print-directory lab-bench-deps BENCH_LAB=$$lab || exit 1; \
	    harness/lab-bench "$$lab"; \
	else \
	    $(MAKE) --no-print-directory build && harness/suite; \
	fi

plots: ## redraw the plots of the newest results (results/latest) into plots/
	@scripts/ensure-deps bench
	@harness/plot results/latest

start: ## LAB=NN: create labs/NN-*/student.c from broken.c (never overwrites it) and build the lab's drivers
	@lab=$$(scripts/lab resolve '$(LAB)') || exit 2; \
	if [[ -e labs/$$lab/student.c ]]; then \
	    echo "labs/$$lab/student.c already exists; left as it is"; \
	else \
	    cp labs/$$lab/broken.c labs/$$lab/student.c.tmp && mv -n labs/$$lab/student.c.tmp labs/$$lab/student.c && \
	    echo "created labs/$$lab/student.c from broken.c: fix it, then: make check LAB=$(LAB)"; \
	fi; \
	scripts/ensure-deps build && \
	echo "building the lab's torture drivers (broken.c's and yours, a few seconds)" && \
	$(MAKE) -s --no-print-directory $(BUILD)/labs/$$lab/broken/test $(BUILD)/labs/$$lab/student/test >/dev/null 2>&1 || \
	    { echo "locklab: your student.c does not compile yet; make check LAB=$(LAB) shows the compiler's errors" >&2; }; \
	echo "watch the bug: $(BUILD)/labs/$$lab/broken/test --list (then one of its checks by name)"

check: ## LAB=NN: grade your labs/NN-*/student.c exactly as the instructor will
	@lab=$$(scripts/lab resolve '$(LAB)') || exit 2; \
	if [[ ! -f labs/$$lab/student.c ]]; then \
	    echo "locklab: no labs/$$lab/student.c yet; create it with: make start LAB=$(LAB)" >&2; exit 2; fi
	@scripts/ensure-deps test
	@lab=$$(scripts/lab resolve '$(LAB)'); \
	echo "building your drivers ($(BUILD)/labs/$$lab/student/test and test-tsan), for replaying a failed check"; \
	$(MAKE) -s --no-print-directory $(BUILD)/labs/$$lab/student/test $(BUILD)/labs/$$lab/student/test-tsan >/dev/null 2>&1 || true; \
	grading/grade "$$lab" "labs/$$lab/student.c"

grade: ## LAB=NN FILE=path.c: grade any submission for a lab
	@scripts/lab resolve '$(LAB)' >/dev/null || exit 2
	@scripts/ensure-deps test
	@if [[ -z "$(FILE)" ]]; then echo "locklab: say which file: make grade LAB=NN FILE=path.c" >&2; exit 2; fi
	@grading/grade '$(LAB)' '$(FILE)'

gradescope: ## LAB=NN: dist/gradescope-NN-slug.zip, a Gradescope autograder for the lab
	@scripts/lab resolve '$(LAB)' >/dev/null || exit 2
	@scripts/ensure-deps test
	@lab=$$(scripts/lab resolve '$(LAB)') || exit 2; grading/gradescope/make-zip "$$lab" "$(or $(DIST),dist)"

autolab: ## LAB=NN: dist/autolab-NN-slug/, an Autolab autograder (autograde-Makefile, autograde.tar, the problems to create)
	@scripts/lab resolve '$(LAB)' >/dev/null || exit 2
	@lab=$$(scripts/lab resolve '$(LAB)') || exit 2; grading/autolab/make-autolab "$$lab" "$(or $(DIST),dist)"

prairielearn: ## LAB=NN: dist/prairielearn-NN-slug/, a PrairieLearn external grader (serverFilesCourse/ and an info.json snippet)
	@scripts/lab resolve '$(LAB)' >/dev/null || exit 2
	@lab=$$(scripts/lab resolve '$(LAB)') || exit 2; grading/prairielearn/make-course "$$lab" "$(or $(DIST),dist)"

dist-student: ## the student copy: dist/locklab-student/ and .tar.gz, no reference solutions
	@scripts/dist-student "$(or $(DIST),dist)"

deps: ## install every Debian package locklab uses that is missing (as root)
	@scripts/ensure-deps all

# Targets that need what only the instructor's copy has (the references,
# the project's tests, the hosts' packagers): the student copy's help leaves
# them out.
INSTRUCTOR_TARGETS := test meta mutants gradescope autolab prairielearn dist-student
help: ## list the targets
	@echo "locklab targets (LAB may be 01, 1, race-counter or 01-race-counter):"
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
	    if [[ -x tests/run ]]; then cat; else grep -vE '^($(subst $(space),|,$(INSTRUCTOR_TARGETS))):'; fi | \
	    sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 20

clean: ## remove build/ (results/ and plots/ stay)
	rm -rf $(BUILD)

# ---- the build ------------------------------------------------------------
# The first build compiles every implementation three ways: say so before
# the compiler lines start.
.PHONY: build-notice
build-notice:
	@[[ -d $(BUILD)/labs ]] || echo "locklab: first build: $(words $(LABS)) labs, each implementation as a torture driver, under ThreadSanitizer and as a benchmark, then the harness (a few minutes on 2 cores; later builds redo only what changed)"
build: build-notice
build: $(foreach l,$(LABS),$(foreach i,$(call lab_impls,$(l)),\
         $(BUILD)/labs/$(l)/$(i)/test $(BUILD)/labs/$(l)/$(i)/test-tsan \
         $(if $(wildcard labs/$(l)/bench.c),$(BUILD)/labs/$(l)/$(i)/bench))) \
       $(TEST_PROGS) $(BUILD)/harness/locklab-bench $(BUILD)/harness/locklab-forkfloor \
       $(BUILD)/grading/seccomp-exec

# What `make bench LAB=NN` needs: that lab's benches (the student's too,
# when there is a student.c) and the harness, nothing of the other labs.
.PHONY: lab-bench-deps
lab-bench-deps: $(foreach i,$(call lab_impls,$(BENCH_LAB)) $(if $(wildcard labs/$(BENCH_LAB)/student.c),student),\
                  $(BUILD)/labs/$(BENCH_LAB)/$(i)/bench) $(BUILD)/harness/locklab-bench

# What grading/grade needs ready: each lab's test driver and labs/common,
# normal and ThreadSanitizer (the Gradescope image builds them once).
.PHONY: build-grader
build-grader: $(foreach l,$(LABS),$(BUILD)/labs/$(l)/test.o $(BUILD)/labs/$(l)/test.tsan.o) \
              $(BUILD)/labs/common/lab.o $(BUILD)/labs/common/lab.tsan.o $(BUILD)/labs/common/perturb.o \
              $(BUILD)/grading/seccomp-exec

# The sandbox's level for hosts without namespaces (containers) runs every
# command under this launcher: a seccomp filter needs libseccomp's compiler
# of rules, and a supervisor that stays root needs to be a program, not a
# shell (grading/lib/sandbox says why).
$(BUILD)/grading/seccomp-exec: grading/lib/seccomp-exec.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) $< -o $@ -lseccomp

$(BUILD)/labs/common/lab.o: labs/common/lab.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/labs/common/perturb.o: labs/common/perturb.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/labs/common/lab.tsan.o: labs/common/lab.c
	@mkdir -p $(@D)
	$(CC) $(TSAN_FLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/labs/common/lab.bench.o: labs/common/lab.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/harness/%.o: harness/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HWLOC_CFLAGS) $(DEPFLAGS) -Iharness -Ilabs/17-gil -c $< -o $@
# A student's GIL (the student copy) is the student's code: its warnings are
# reported by make check, never fatal to the harness's build.
ifneq ($(filter %/student.c,$(GIL_IMPL)),)
$(BUILD)/harness/gil.o: WARN := -Wall -Wextra
endif
$(BUILD)/harness/gil.o: $(GIL_IMPL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Ilabs/17-gil -Ilabs/common -c $< -o $@
$(BUILD)/harness/locklab_bench_main.o: harness/locklab_bench_main.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HWLOC_CFLAGS) $(DEPFLAGS) -Iharness -Ilabs/17-gil \
	    -DLOCKLAB_CFLAGS='"$(strip $(CFLAGS))"' -DLOCKLAB_GBENCH_VERSION='"$(GBENCH_VERSION)"' \
	    -DLOCKLAB_HWLOC_VERSION='"$(HWLOC_VERSION)"' -DLOCKLAB_GIL_IMPL='"$(GIL_IMPL)"' -c $< -o $@
# -z now: every symbol is bound once, at start, in the parent; bound lazily,
# each forked worker looked its first calls up again and wrote the GOT, a
# copy-on-write fault each (README: "What starting a worker process costs").
$(BUILD)/harness/locklab-bench: $(BUILD)/harness/locklab_bench_main.o $(ENGINE_OBJ) $(HARNESS_OBJ) \
                                $(BUILD)/labs/common/lab.o
	$(CXX) -pthread -Wl,-z,now $^ -o $@ $(HARNESS_LIBS)
# The bare cost of starting a process here, which the spawn rows are set
# beside (harness/forkfloor.c): plain C, no harness, nothing to bind.
$(BUILD)/harness/locklab-forkfloor: harness/forkfloor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) $< -o $@
$(BUILD)/harness/%.o: harness/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(DEPFLAGS) -Iharness -c $< -o $@
$(BUILD)/harness/%_main.bench.o: harness/%_main.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) $(HWLOC_CFLAGS) $(DEPFLAGS) -Iharness -c $< -o $@

$(BUILD)/tests/%.o: tests/c/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HWLOC_CFLAGS) $(DEPFLAGS) -Iharness -Ilabs/common -c $< -o $@
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(HARNESS_OBJ) $(BUILD)/labs/common/lab.o
	$(CXX) -pthread $^ -o $@ $(HARNESS_LIBS)

# Per-lab rules. $(1) is the lab folder. An implementation I (broken, fixed,
# alt-*, student) gives:
#   I/test        the torture driver        I/test-tsan  the same under TSan
#   I/bench       the lab's benchmarks, timed through the harness
# A student's code is compiled without -Werror: a warning is reported, not
# fatal (grading/grade compiles submissions itself, in its sandbox).
define lab_rules
L := $(BUILD)/labs/$(1)
LAB_INC_$(1) := -Ilabs/$(1) -Ilabs/common
$$(L)/%/impl.o: labs/$(1)/%.c $$(PERTURB_SYMS)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(PERTURB_CFLAGS) $$(DEPFLAGS) -I$$(PERTURB_INC) $$(LAB_INC_$(1)) -c $$< -o $$@
	objcopy --redefine-syms=$$(PERTURB_SYMS) $$@
$$(L)/%/impl.tsan.o: labs/$(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(TSAN_FLAGS) $$(DEPFLAGS) $$(LAB_INC_$(1)) -c $$< -o $$@
$$(L)/%/impl.bench.o: labs/$(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(BENCH_FLAGS) $$(DEPFLAGS) $$(LAB_INC_$(1)) -c $$< -o $$@
$$(L)/test.o: labs/$(1)/test.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(DEPFLAGS) $$(LAB_INC_$(1)) -c $$< -o $$@
$$(L)/test.tsan.o: labs/$(1)/test.c
	@mkdir -p $$(@D)
	$$(CC) $$(TSAN_FLAGS) $$(DEPFLAGS) $$(LAB_INC_$(1)) -c $$< -o $$@
$$(L)/bench.bench.o: labs/$(1)/bench.c
	@mkdir -p $$(@D)
	$$(CC) $$(BENCH_FLAGS) $$(HWLOC_CFLAGS) $$(DEPFLAGS) $$(LAB_INC_$(1)) -Iharness -c $$< -o $$@
$$(BUILD)/engine/$(1)/workload.o: labs/$(1)/workload.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(DEPFLAGS) -Iharness -c $$< -o $$@
$$(BUILD)/engine/$(1)/%.o: labs/$(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -DLAB_NO_PAUSE $$(DEPFLAGS) $$(LAB_INC_$(1)) -c $$< -o $$@.raw
	nm -g --defined-only $$@.raw | awk -v p="lab$$(firstword $$(subst -, ,$(1)))_$$(subst -,_,$$*)__" '{ print $$$$3, p $$$$3 }' >$$@.syms
	objcopy --redefine-syms=$$@.syms $$@.raw $$@
	rm -f $$@.raw $$@.syms
$$(L)/%/test: $$(L)/%/impl.o $$(L)/test.o $$(BUILD)/labs/common/lab.o $$(BUILD)/labs/common/perturb.o
	$$(CC) $$(CFLAGS) $$^ -o $$@
$$(L)/%/test-tsan: $$(L)/%/impl.tsan.o $$(L)/test.tsan.o $$(BUILD)/labs/common/lab.tsan.o
	$$(CC) $$(TSAN_FLAGS) $$^ -o $$@
$$(L)/%/bench: $$(L)/%/impl.bench.o $$(L)/bench.bench.o $$(BUILD)/labs/common/lab.bench.o \
               $$(BUILD)/harness/labbench_main.bench.o $$(HARNESS_OBJ)
	$$(CXX) -g -O2 -pthread -flto $$^ -o $$@ $$(HARNESS_LIBS)
$$(L)/student/%: WARN := -Wall -Wextra
endef
$(foreach l,$(LABS),$(eval $(call lab_rules,$(l))))


.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
print-%: ; @echo $($*)
