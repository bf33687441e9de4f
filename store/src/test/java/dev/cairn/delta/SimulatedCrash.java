package dev.cairn.delta;

/**
 * Thrown by a test {@link Failpoint} to stop a protocol between two durable steps, the way a crash
 * would: the object is then dropped without closing and the directory reopened. Unchecked, so that
 * no cleanup path meant for I/O errors runs, as none would in a crashed process.
 */
final class SimulatedCrash extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SimulatedCrash(String point) {
    super("simulated crash at " + point);
  }

  /** A failpoint that crashes at {@code point} and lets every other point pass. */
  static Failpoint at(String point) {
    return name -> {
      if (name.equals(point)) {
        throw new SimulatedCrash(name);
      }
    };
  }
}
