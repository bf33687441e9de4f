package dev.cairn.delta;

import java.io.IOException;

/**
 * A named point between two durable steps of a multi-step protocol (compaction, switching files).
 * Production code passes {@link #NONE}; crash tests install a hook that throws at one point, drop
 * the object as a crashed process would, and reopen the directory to check it is consistent.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
interface Failpoint {
  Failpoint NONE = name -> {};

  void reached(String name) throws IOException;
}
