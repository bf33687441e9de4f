package dev.cairn.format;

/** How a block's logical bytes are obtained. The ordinal-independent id is what is stored. */
public enum BlockKind {
  /** All zeros; no data bytes. */
  ZERO(0),
  /** Compressed with the snapshot's codec. */
  COMPRESSED(1),
  /** Stored as is, because compressing did not make it smaller. */
  RAW(2),
  /** Inherited from the parent snapshot's block at the same index; no data bytes. */
  PARENT(3);

  private static final BlockKind[] BY_ID = {ZERO, COMPRESSED, RAW, PARENT};
  private final int id;

  BlockKind(int id) {
    this.id = id;
  }

  public int id() {
    return id;
  }

  /** The kind for an on-disk id, or null if the id is unknown. */
  public static BlockKind byId(int id) {
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  /** True if the block has bytes in the data area. */
  public boolean hasData() {
    return this == COMPRESSED || this == RAW;
  }
}
