#!/usr/bin/env bash
# JMH micro-benchmarks (reader-core/src/jmh/java): the read path (block lookup on a cache hit, a
# 128 KiB read across cached blocks,
# whole-block decompression straight into a direct buffer, an uncached 4 KiB read, for lz4 and
# zstd), each on a plain and an encrypted snapshot; the content hash of a 64 KiB block (SHA-256
# against XXH3-128); AES-256-GCM of a 64 KiB block through libcrypto and the JDK (AeadBenchmark).
# Extra arguments go to JMH (e.g. `-p codec=zstd`, `-f 2`, a benchmark name regex).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
cd "$root"
mvn -B -q -ntp -Pjmh -DskipTests -Dspotless.check.skip=true install -pl store,reader-core -am
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -ntp -Pjmh -pl reader-core dependency:build-classpath -Dmdep.outputFile="$cp_file" \
  -Dmdep.includeScope=test
cp="reader-core/target/test-classes:reader-core/target/classes:$(cat "$cp_file")"
exec java -cp "$cp" org.openjdk.jmh.Main "${@:-dev.cairn.bench}"
