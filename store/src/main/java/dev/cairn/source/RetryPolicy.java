package dev.cairn.source;

import dev.cairn.config.Tuning;
import dev.cairn.error.RemoteUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * The one retry policy of remote requests, HTTP and S3 alike: every request is bounded by {@link
 * #timeout()}, and an attempt that fails with a {@link TransientException} (connection refused or
 * reset, timeouts, a body cut short, {@code 5xx}, {@code 429}) is repeated up to {@value #ATTEMPTS}
 * times in all, with pauses of 0.2, 0.4 and 0.8 s, before the request fails.
 *
 * <p>Stateless; thread-safe.
 */
final class RetryPolicy {
  static final int ATTEMPTS = 4;

  private RetryPolicy() {}

  /**
   * How long a request may go without progress (connecting, waiting for the response, between two
   * body bytes) before the attempt fails: {@code -Dcairn.remote.timeout=SECONDS}, default 10. Read
   * per request so that tests can shorten it.
   */
  static int timeout() {
    return (int) Tuning.currentRemoteTimeout().toSeconds();
  }

  /** One attempt at a request; throws {@link TransientException} for what a retry may fix. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code attempt} up to {@value #ATTEMPTS} times while it fails with a {@link
   * TransientException}, pausing between tries; the last failure is reported with "(gave up after 4
   * attempts)". Other failures end it at once.
   */
  static <T> T withRetries(Attempt<T> attempt) throws IOException {
    return attempts(attempt, 0, ATTEMPTS);
  }

  /**
   * Attempts {@code from} to {@code to - 1} of the {@value #ATTEMPTS} that {@link #withRetries}
   * makes, with the same pauses before each but the very first: a caller may make the first attempt
   * alone, look elsewhere when it fails (an opening with a complete disk cache goes offline at
   * once), and go on with the rest. The failure after attempt {@code to - 1} says "(gave up after
   * {@code to} attempts)".
   */
  static <T> T attempts(Attempt<T> attempt, int from, int to) throws IOException {
    TransientException failure = null;
    for (int i = from; i < to; i++) {
      if (i > 0) {
        try {
          Thread.sleep(100L << i);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(
              (failure == null ? "interrupted" : failure.getMessage()) + " (interrupted)");
        }
      }
      try {
        return attempt.run();
      } catch (TransientException e) {
        failure = e;
      }
    }
    if (failure == null) {
      throw new IllegalArgumentException("no attempt between " + from + " and " + to);
    }
    throw new RemoteUnavailableException(
        failure.getMessage() + " (gave up after " + to + (to == 1 ? " attempt)" : " attempts)"),
        failure);
  }
}
