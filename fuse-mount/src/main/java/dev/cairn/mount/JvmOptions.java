package dev.cairn.mount;

import dev.cairn.config.Tuning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags a serving process starts with (and its class-data-sharing training run). Stateless.
 */
final class JvmOptions {
  private JvmOptions() {}

  /**
   * JVM flags of a serving process. The block cache holds decompressed blocks on the heap, so the
   * heap gets the cache size plus 80 MiB for index pages (at most 64 MiB, a few hundred KiB per GiB
   * of image in practice), cache bookkeeping and request garbage; direct memory holds the pooled
   * decompression scratch buffers (two per concurrent block load, at most 2 MiB each). Together
   * with the JVM's own ~80 MiB this keeps the process under cache size + 200 MiB (measured by
   * scripts/bench/read.sh): a Parallel-GC heap grows to its maximum before it collects. The young
   * generation is pinned small so that the old one can hold the whole cache; with the default
   * one-third split a full cache would not fit and every request would pay for full collections.
   * Parallel GC: a cache of large arrays churns the old generation, which Parallel handles without
   * G1's humongous-region trouble for 1 MiB blocks and without concurrent threads competing with
   * request threads on small machines.
   *
   * @param jdkDecrypts whether a member of the chain is encrypted and AES-GCM is the JDK's (no
   *     libcrypto): then the JIT keeps both tiers
   */
  static List<String> of(long cacheSize, Path cdsArchive, boolean debug, boolean jdkDecrypts) {
    long mib = 1 << 20;
    long heapMib = cacheSize / mib + 80;
    long directMib = 64;
    List<String> o = new ArrayList<>();
    if (cdsArchive != null) {
      o.add("-Xshare:auto"); // the default, spelled out: an unusable archive is no error
      o.add("-XX:SharedArchiveFile=" + cdsArchive);
      // a stale or unusable archive is ignored; never let the JVM print about it
      o.add("-Xlog:cds=off");
      o.add("-Xlog:cds+dynamic=off");
    }
    o.add("-XX:-UsePerfData"); // no hsperfdata file, a little less start-up
    // C1 only: a serving process spends its time in native code (decompression, the kernel), and
    // C2 compiling the thin Java layer took a quarter of both cores during the first second of a
    // cold sequential read; measured by scripts/bench/read.sh: +15 % cold sequential throughput,
    // random 4 KiB reads unchanged (1 job) or better (4 jobs), a smaller resident set.
    // Encrypted members decrypt in libcrypto (dev.cairn.crypto.OpenSslAead), at full speed under C1
    // too (4.7 GB/s from the first block). Only where libcrypto is missing does the JDK's AES-GCM
    // decrypt, which uses the CPU's AES and carry-less multiply instructions only through C2's
    // intrinsics (C1 alone: about 18 MB/s) and reaches full speed only after some 64 MiB of
    // warm-up: then the JIT keeps both tiers.
    if (!jdkDecrypts) {
      o.add("-XX:TieredStopAtLevel=1");
    }
    o.add("-XX:+UseParallelGC");
    // no collection at all while getting ready; never above the maximum, or the JVM refuses
    o.add("-Xms" + Math.min(128, heapMib) + "m");
    o.add("-Xmx" + heapMib + "m");
    o.add("-Xmn24m");
    o.add("-XX:MaxDirectMemorySize=" + directMib + "m");
    // jnr's machine-code stubs only speed up calls into libfuse (two, at start-up); generating
    // them costs more start-up time than they ever save
    o.add("-Djnr.ffi.x86asm.enabled=false");
    o.add("-Dfile.encoding=UTF-8");
    o.add("-Dsun.jnu.encoding=UTF-8");
    o.add("-Dorg.slf4j.simpleLogger.log.dev.cairn=" + (debug ? "debug" : "info"));
    // tuning switches given to the CLI (-Dcairn.…, used by the benchmarks) reach the server too
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith(Tuning.PROPERTY_PREFIX))
        .sorted()
        .forEach(k -> o.add("-D" + k + "=" + System.getProperty(k)));
    // extra JVM flags for the serving process, last so that they win (diagnostics, experiments)
    o.addAll(Tuning.current().serverJavaOpts());
    return o;
  }
}
