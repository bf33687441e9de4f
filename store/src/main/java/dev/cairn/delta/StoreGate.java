package dev.cairn.delta;

import dev.cairn.error.ClosedException;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one lock and the one open/closed/writable state of a {@link DeltaStore}, shared with the
 * layer that owns the store (the overlay), so that both order their work under the same lock and
 * refuse work for the same reasons with the same message. Reads, writes and fsyncs hold it shared;
 * compaction, close and whatever the owner needs to do alone (shrink, take a consistent view) hold
 * it exclusively. The lock is reentrant, so an owner holding it may call into the store.
 *
 * <p>Usage: {@code gate.enterWrite(); try { ... } finally { gate.exitShared(); }}. An {@code enter}
 * method that throws has released what it took.
 *
 * <p><b>Thread safety:</b> thread-safe; the state flags are volatile so a racy look outside the
 * lock (to skip work cheaply) sees a recent value.
 */
public final class StoreGate {
  private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
  private final String subject;
  private final boolean readOnly;
  private volatile boolean closed;
  private volatile boolean broken;

  StoreGate(String subject, boolean readOnly) {
    this.subject = subject;
    this.readOnly = readOnly;
  }

  /** Takes the lock shared and checks nothing: for reading counters, which a closed store keeps. */
  public void enterShared() {
    rw.readLock().lock();
  }

  /** Takes the lock shared for reading; refuses if the store is closed. */
  public void enterRead() throws IOException {
    rw.readLock().lock();
    if (closed) {
      rw.readLock().unlock();
      throw closedException();
    }
  }

  /**
   * Takes the lock shared for changing the store; refuses if it is closed, read-only or broken.
   *
   * @throws IllegalStateException if the store is open read-only
   */
  public void enterWrite() throws IOException {
    rw.readLock().lock();
    try {
      checkWritable();
    } catch (IOException | RuntimeException e) {
      rw.readLock().unlock();
      throw e;
    }
  }

  /** Releases what {@link #enterShared}, {@link #enterRead} or {@link #enterWrite} took. */
  public void exitShared() {
    rw.readLock().unlock();
  }

  /** Takes the lock exclusively, waiting for every shared holder; checks nothing. */
  public void enterExclusive() {
    rw.writeLock().lock();
  }

  /** Releases what {@link #enterExclusive} took. */
  public void exitExclusive() {
    rw.writeLock().unlock();
  }

  /** Throws if the store is closed; for a caller holding the lock exclusively. */
  public void checkOpen() throws IOException {
    if (closed) {
      throw closedException();
    }
  }

  /**
   * Throws if the store is closed, read-only or broken; for a caller holding the lock exclusively.
   *
   * @throws IllegalStateException if the store is open read-only
   */
  public void checkWritable() throws IOException {
    checkOpen();
    if (readOnly) {
      throw new IllegalStateException(subject + " is open read-only");
    }
    if (broken) {
      throw new IOException(
          subject + " failed to write and its state on disk is unknown; reopen it");
    }
  }

  public boolean isReadOnly() {
    return readOnly;
  }

  public boolean isClosed() {
    return closed;
  }

  boolean isBroken() {
    return broken;
  }

  void markClosed() {
    closed = true;
  }

  /** After a failed fsync or switch nothing more is promised until the store is reopened. */
  void markBroken() {
    broken = true;
  }

  private ClosedException closedException() {
    return new ClosedException(subject);
  }
}
