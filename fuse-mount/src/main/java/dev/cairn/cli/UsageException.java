package dev.cairn.cli;

/** Bad input from the user (missing file, wrong flag value): reported in one line, exit 2. */
public final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
