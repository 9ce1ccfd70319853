#!/usr/bin/env bash
# `make fuzz`: libFuzzer over the plain-C parsers for FUZZ_SECONDS seconds
# (default 60) each: fuzz_names (src/format_golang.c, src/textpos.c,
# src/directives.c) and fuzz_formats (the readers of other tools' folders,
# src/format_text.h).
#
# Installs clang and the libFuzzer runtime from Debian's packages when they
# are missing, builds each harness with ASan and UBSan, copies its seed
# corpus (test/fuzz/corpus/, test/fuzz/corpus_formats/) into its work corpus
# test/fuzz/corpus-work/ or corpus_formats-work/ (git-ignored; it keeps what
# earlier runs found), and fuzzes.  Exits
# non-zero if the fuzzer finds a crash, a leak or a hang, after printing the
# input in hex; the input is kept in test/fuzz/corpus-work/crashes/ (which
# later runs load too, so a known crash fails again until it is fixed).
#
# FUZZ_SECONDS=0 only runs the corpus once; FUZZ_CC picks another clang
# (default clang).  Extra arguments go to libFuzzer,
# e.g. `bash test/fuzz/run.sh -jobs=2`.  Works from any directory.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 1
cd "$top" || exit 1

fuzz=test/fuzz
seconds=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc)

case $seconds in
	'' | *[!0-9]*)
		echo "pg_migrate fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
		exit 2 ;;
esac

# ---- tools: clang, and the libFuzzer/sanitizer runtimes it links with
updated=0
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			echo "pg_migrate fuzz: missing $*; install it as root (apt-get install $*)" >&2
			exit 1
		fi
	fi
	echo "pg_migrate fuzz: installing $*"
	export DEBIAN_FRONTEND=noninteractive
	if [ $updated -eq 0 ]; then
		"${sudo[@]}" apt-get update -q || exit 1
		updated=1
	fi
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" || exit 1
}

# Can $CC build and link a libFuzzer target with the sanitizers?
can_build_fuzzer() {
	local tmp rc
	tmp=$(mktemp -d) || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' \
		>"$tmp/probe.c"
	"$CC" "${flags[@]}" -o "$tmp/probe" "$tmp/probe.c" >"$tmp/log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && sed 's/^/  /' "$tmp/log" | tail -n 5 >&2
	rm -rf "$tmp"
	return $rc
}

if ! command -v "$CC" >/dev/null 2>&1; then
	[ "$CC" = clang ] || { echo "pg_migrate fuzz: $CC not found" >&2; exit 1; }
	apt_install clang
fi
if ! can_build_fuzzer; then
	# Debian 12's clang is clang-14; its runtimes (libclang_rt.fuzzer etc.)
	# are in libclang-rt-<major>-dev.
	if ! "$CC" --version 2>/dev/null | grep -q clang; then
		echo "pg_migrate fuzz: $CC is not clang; libFuzzer needs clang (FUZZ_CC=clang)" >&2
		exit 1
	fi
	major=$("$CC" -dumpversion 2>/dev/null | cut -d. -f1)
	[[ $major =~ ^[0-9]+$ ]] || major=14
	apt_install "libclang-rt-$major-dev"
	if ! can_build_fuzzer; then
		echo "pg_migrate fuzz: $CC still cannot build a libFuzzer target (see above)" >&2
		exit 1
	fi
fi

# ---- build, then fuzz each harness
readers=(src/format_golang.c src/format_text.c src/format_sqlx.c src/format_dbmate.c
	src/format_goose.c src/format_flyway.c src/format_diesel.c src/format_prisma.c
	src/format_drizzle.c src/format_atlas.c src/format_sha256.c src/flyway_version.c)

run_one() {
	local name=$1 seeds=$2
	shift 2
	local bin=$fuzz/$name
	local work=$seeds-work
	local crashes=$work/crashes
	echo "pg_migrate fuzz: building $bin with $("$CC" --version | head -n 1)"
	"$CC" "${flags[@]}" -Wall -Wextra -o "$bin" "$fuzz/$name.c" "$@" || exit 1

	mkdir -p "$work" "$crashes" || exit 1
	cp "$seeds"/* "$work"/ || exit 1

	if [ "$seconds" -eq 0 ]; then
		limit=(-runs=0)
		echo "pg_migrate fuzz: $name: running the corpus once"
	else
		limit=(-max_total_time="$seconds")
		echo "pg_migrate fuzz: $name: fuzzing for $seconds s"
	fi
	log=$(mktemp) || exit 1

	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	# -timeout: one input taking this long is a hang; -max_len: names and
	# statement snippets are short, this leaves room for long comment nests.
	"./$bin" "${limit[@]}" -timeout=10 -max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "${extra[@]}" "$work" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}

	if [ "$status" -ne 0 ]; then
		echo "==================== pg_migrate: fuzzing $name failed (exit $status) ===================="
		found=0
		while IFS= read -r f; do
			[ -f "$f" ] || continue
			found=1
			echo "---- $f ($(wc -c <"$f") bytes), hex:"
			od -An -tx1 -v "$f"
			echo "---- as text (od -c):"
			od -An -c -v "$f" | head -n 40
			echo "---- reproduce: $top/$bin $top/$f"
		done < <(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
		[ $found -eq 0 ] && echo "(libFuzzer wrote no test unit; see its output above)"
		rm -f "$log"
		exit "$status"
	fi
	rm -f "$log"
	echo "pg_migrate fuzz: $name: no crash; corpus: $(find "$work" -maxdepth 1 -type f | wc -l) inputs in $work"
}

extra=("$@")
run_one fuzz_names "$fuzz/corpus" src/format_golang.c src/textpos.c src/directives.c
run_one fuzz_formats "$fuzz/corpus_formats" "${readers[@]}"
exit 0
