package dev.cairn.mount;

import dev.cairn.codec.Codec;
import dev.cairn.codec.Decompressor;
import dev.cairn.crypto.Aead;
import dev.cairn.crypto.BlockDigest;
import dev.cairn.format.CodecType;
import dev.cairn.read.BlockCache;
import dev.cairn.source.ByteSource;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a fresh serving process does while its first client connects: the one-time set-up every
 * mount's opening would otherwise wait for, measured at a few hundred milliseconds of a first mount
 * — jnr-ffi's bindings to libc (file leases, madvise) and libcrypto, generated at run time and so
 * never in a class-data archive, the native codec libraries, Caffeine's cache classes. Done on a
 * thread of its own, so that it overlaps the client's request and the mount's own checks; a mount
 * that reaches one of these first simply does it itself (class initialisation runs once). Nothing
 * here may fail a mount. Stateless.
 */
final class ServerWarmUp {
  private ServerWarmUp() {}

  /** Starts the warm-up; {@code file} is any readable local file (the jar) to map under a lease. */
  static void start(Path file) {
    Thread t = new Thread(() -> run(file), "cairn-warm-up");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
  }

  private static void run(Path file) {
    try {
      BlockCache.withCapacity(1 << 20);
      for (CodecType type : CodecType.values()) {
        try (Decompressor d = Codec.of(type).newDecompressor(null)) {
          // loads the codec's native library
        }
      }
      if (file != null && Files.isRegularFile(file)) {
        try (ByteSource s = ByteSource.openLocal(file)) {
          s.readFully(0, ByteBuffer.allocate(16));
        }
      }
      Aead.nativeAvailable();
      BlockDigest.nativeSha256Available();
    } catch (Exception | LinkageError e) {
      // only a warm-up: the mount that needs it will say what is wrong
    }
  }
}
