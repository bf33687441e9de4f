package dev.cairn.fuse;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The one fill loop of a mount's reads: a request for a stream file or for the overlay-backed
 * primary stream is read from its positional source straight into the kernel's reply buffer (a
 * direct buffer over it, so a whole-block read decompresses in place).
 *
 * <p>All or nothing: a short read of a page-cached FUSE file would be taken as end of file, so a
 * failure fails the whole request with an errno (the kernel then retries the pages the caller
 * wanted one by one).
 *
 * <p>Stateless; thread-safe. Nothing is allocated per request but the direct buffer's view.
 */
final class KernelReads {
  private KernelReads() {}

  /** A positional reader: {@code StreamReader#read} or {@code OverlayImage#read}. */
  @FunctionalInterface
  interface Positional {
    int read(long offset, ByteBuffer dst) throws IOException;
  }

  /** Counts and logs a failed read of {@code length} bytes at {@code offset}; returns its errno. */
  @FunctionalInterface
  interface Failure {
    int failed(long offset, int length, Throwable e);
  }

  /** A direct buffer over {@code n} bytes of native memory at {@code buf}. */
  static ByteBuffer over(Pointer buf, int n) {
    return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), n);
  }

  /**
   * Reads up to {@code size} bytes at {@code offset} of a file of {@code end} bytes into {@code
   * buf}; returns the count, 0 at or past the end, or a negative errno ({@code onFailure}'s).
   */
  static int read(
      Positional source, long end, Failure onFailure, Pointer buf, long size, long offset) {
    if (offset < 0) {
      return -ErrorCodes.EINVAL();
    }
    if (offset >= end || size <= 0) {
      return 0;
    }
    int n = (int) Math.min(Math.min(size, Integer.MAX_VALUE), end - offset);
    try {
      return fill(source, offset, over(buf, n));
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return onFailure.failed(offset, n, e);
    }
  }

  /** Fills {@code dst} from {@code source} at {@code offset}, stopping early only at its end. */
  private static int fill(Positional source, long offset, ByteBuffer dst) throws IOException {
    int n = dst.remaining();
    int total = 0;
    while (total < n) {
      int got = source.read(offset + total, dst);
      if (got <= 0) {
        break;
      }
      total += got;
    }
    return total;
  }
}
