# dbhost: the verbs users of this template know. Every target installs what is
# missing (tools/bootstrap.sh) and builds before it runs.
#
#   make install             system packages (apt-get / dnf / brew), the build, then
#                            dbhost installed as $(PREFIX)/bin/dbhost (PREFIX=/usr/local)
#   make build               build/dbhost and build/lua/dbhost.so
#   make test                every suite (cmocka, busted, end-to-end), then again
#                            under ASan+UBSan with short libFuzzer runs
#   make check-migrations    check the example project's migrations
#   make create-migrations NAME=x
#   make bundle              the AWS Lambda layer and function zips (build/lambda/)
#   make bench               every benchmark under bench/
#   make lint                check-migrations, then luacheck (Lua) and cppcheck (C),
#                            warnings as errors

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
DBHOST      = $(BUILD)/dbhost
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
PREFIX     ?= /usr/local

.PHONY: all deps install build asan test test-fast test-asan check-migrations \
        create-migrations migrate-hash bundle bench fuzz clean lint lint-lua lint-c

all: build

# What the build needs, checked once (tools/bootstrap.sh installs what is missing);
# the stamp is redone when the bootstrap script changes.
DEPS_STAMP = $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/bootstrap.sh
	@tools/bootstrap.sh --check >/dev/null 2>&1 || tools/bootstrap.sh
	@mkdir -p $(BUILD) && touch $@

# The binary is self-contained (the scripts are bundled into it): copying it is the install.
install: deps build
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 $(DBHOST) "$(DESTDIR)$(PREFIX)/bin/dbhost"
	"$(DESTDIR)$(PREFIX)/bin/dbhost" install

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDBHOST_SANITIZE=ON -DDBHOST_FUZZ=ON

asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test: test-fast test-asan

# every step on the bundled example (without --full, an unchanged project is a quick pass)
check-migrations: build
	$(DBHOST) check-migrations --full

create-migrations: build
	@test -n "$$NAME" || { echo "usage: make create-migrations NAME=short_name" >&2; exit 2; }
	$(DBHOST) create-migrations "$$NAME"

# The project's own linters; configuration in .luacheckrc and below.
CPPCHECK_FLAGS = --quiet --enable=warning,portability,performance --error-exitcode=1 --inline-suppr \
                 --std=c11 -I bindings -I host -I $(BUILD) -D_POSIX_C_SOURCE=200809L -DDBHOST_VERSION=\"0\" \
                 --suppress=missingIncludeSystem --suppress=missingInclude

lint: check-migrations lint-lua lint-c

lint-lua: deps
	luacheck --quiet --codes scripts app tests/lua bench/lib

lint-c: deps
	cppcheck $(CPPCHECK_FLAGS) bindings host fuzz tests/c

migrate-hash: build
	$(DBHOST) migrate hash

bundle: build
	$(DBHOST) bundle-lambda --out $(BUILD)/lambda

bench: build
	@for b in bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
