package dev.cairn.error;

/**
 * Stored bytes that do not check out: a checksum mismatch, a field out of range, a truncated file,
 * data that does not decompress. Carries the stream and block where known, so the message a user
 * sees names exactly what is damaged. Corrupt bytes are never returned as data.
 */
public final class CorruptSnapshotException extends CairnException {
  private static final long serialVersionUID = 1L;

  /** Marks "not about one block" in {@link #block()}. */
  public static final long NO_BLOCK = -1;

  private final String source;
  private final String stream;
  private final long block;
  private final String what;

  public CorruptSnapshotException(String source, String what) {
    this(source, null, NO_BLOCK, what, null);
  }

  public CorruptSnapshotException(
      String source, String stream, long block, String what, Throwable cause) {
    super(format(source, stream, block, what), cause);
    this.source = source;
    this.stream = stream;
    this.block = block;
    this.what = what;
  }

  /**
   * This failure, found by a lower layer that did not know which block it was reading (a byte
   * source that verifies what it reads), told again naming {@code stream} and {@code block}; this
   * one if it already names a block.
   */
  public CorruptSnapshotException inBlock(String stream, long block) {
    if (this.block != NO_BLOCK) {
      return this;
    }
    return new CorruptSnapshotException(source, stream, block, what, this);
  }

  private static String format(String source, String stream, long block, String what) {
    StringBuilder sb = new StringBuilder(source).append(": corrupt snapshot");
    if (stream != null) {
      sb.append(", stream ").append(stream);
    }
    if (block != NO_BLOCK) {
      sb.append(", block ").append(block);
    }
    return oneLine(sb.append(": ").append(what).toString());
  }

  /**
   * Escapes control characters: stream names and other text come from the file, and a newline or an
   * escape sequence in them must neither break the one-line message nor reach a terminal.
   */
  static String oneLine(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Where the snapshot was read from. */
  public String source() {
    return source;
  }

  /** The stream's name, or null when the damage is not inside one stream. */
  public String stream() {
    return stream;
  }

  /** The block index, or {@link #NO_BLOCK}. */
  public long block() {
    return block;
  }

  @Override
  public Category category() {
    return Category.CORRUPT_SNAPSHOT;
  }
}
