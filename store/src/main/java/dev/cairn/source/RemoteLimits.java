package dev.cairn.source;

import dev.cairn.config.Tuning;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * What all remote reads of one process (a mount, or a command) share: a bound on requests in flight
 * at once ({@code --max-connections}; the JDK's HTTP client and the S3 SDK open a keep-alive
 * connection per concurrent request, so it also bounds connections), an optional {@link
 * BandwidthCap} ({@code --max-bandwidth}), a bound on read-ahead bytes requested and not yet
 * received, and the threads that fetch read-ahead runs. Foreground reads take a request slot and
 * pay the bandwidth cap like any other, but never wait for the read-ahead budget (read-ahead that
 * finds the budget spent is simply not started), and read-ahead runs on one thread fewer than there
 * are request slots, so one is always left for them.
 *
 * <p>Built once per process from {@link Tuning} ({@link #shared()}); tests build their own.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class RemoteLimits {
  private static volatile RemoteLimits shared;

  private final int maxConnections;
  private final Semaphore connections;
  private final BandwidthCap cap;
  private final long maxInFlight;
  private final Semaphore inFlight;
  private final ExecutorService fetchers;

  /**
   * @param maxBandwidth bytes per second, or 0 for no cap
   */
  RemoteLimits(int maxConnections, long maxBandwidth, long maxInFlight) {
    this.maxConnections = maxConnections;
    this.connections = new Semaphore(maxConnections, true);
    this.cap = maxBandwidth > 0 ? new BandwidthCap(maxBandwidth) : null;
    this.maxInFlight = Math.min(Integer.MAX_VALUE, maxInFlight);
    this.inFlight = new Semaphore((int) this.maxInFlight);
    // one request slot fewer than allowed, so that read-ahead never takes every slot from a
    // foreground read (two of them at most: the mount's serving threads)
    this.fetchers =
        Executors.newFixedThreadPool(
            Math.max(1, maxConnections - 1),
            r -> {
              Thread t = new Thread(r, "cairn-remote-fetch");
              t.setDaemon(true);
              return t;
            });
  }

  /** The limits of this process, as {@link Tuning} set them when the first remote read began. */
  static RemoteLimits shared() {
    RemoteLimits l = shared;
    if (l == null) {
      synchronized (RemoteLimits.class) {
        l = shared;
        if (l == null) {
          Tuning t = Tuning.current();
          l =
              new RemoteLimits(
                  t.remoteMaxConnections(), t.remoteMaxBandwidth(), t.remoteMaxInFlight());
          shared = l;
        }
      }
    }
    return l;
  }

  /** A request to send, as one unit: {@link #request} runs it under the limits. */
  @FunctionalInterface
  interface Request<T> {
    T run() throws java.io.IOException;
  }

  /**
   * Runs one request of {@code bytes} once the bandwidth cap allows it and a request slot is free,
   * holding the slot while it runs.
   */
  <T> T request(long bytes, Request<T> request) throws java.io.IOException {
    if (cap != null) {
      cap.acquire(bytes);
    }
    try {
      connections.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a connection");
    }
    try {
      return request.run();
    } finally {
      connections.release();
    }
  }

  /** Requests in flight now (slots taken). */
  int inUse() {
    return maxConnections - connections.availablePermits();
  }

  int maxConnections() {
    return maxConnections;
  }

  /** Takes {@code bytes} of the read-ahead budget if that much is left; false otherwise. */
  boolean tryReserveAhead(long bytes) {
    return bytes <= maxInFlight && inFlight.tryAcquire((int) bytes);
  }

  /**
   * Takes {@code bytes} of the read-ahead budget, waiting for it: for work that is all read-ahead,
   * such as warming the cache ({@code cairn fetch}).
   */
  void reserveAhead(long bytes) throws InterruptedIOException {
    try {
      inFlight.acquire((int) Math.min(bytes, maxInFlight));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  /** Gives back what {@link #tryReserveAhead} or {@link #reserveAhead} took. */
  void releaseAhead(long bytes) {
    inFlight.release((int) Math.min(bytes, maxInFlight));
  }

  /** The threads that fetch read-ahead runs. */
  ExecutorService fetchers() {
    return fetchers;
  }
}
