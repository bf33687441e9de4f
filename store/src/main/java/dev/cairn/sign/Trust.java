package dev.cairn.sign;

import java.util.List;
import java.util.Optional;

/**
 * The public keys a reader trusts ({@code --trust PUB}, repeatable). With none ({@link #NONE}),
 * signatures are not looked at and reads behave as for an unsigned snapshot; with some, every
 * snapshot read must carry a valid signature by one of them.
 *
 * <p>Immutable; thread-safe.
 */
public final class Trust {
  /** No trusted keys: signatures are not checked. */
  public static final Trust NONE = new Trust(List.of());

  private final List<TrustedKey> keys;

  private Trust(List<TrustedKey> keys) {
    this.keys = keys;
  }

  /** Trust in {@code keys} (duplicates are harmless); {@link #NONE} when empty. */
  public static Trust of(List<TrustedKey> keys) {
    return keys.isEmpty() ? NONE : new Trust(List.copyOf(keys));
  }

  /** Whether reads must be verified: at least one key is trusted. */
  public boolean required() {
    return !keys.isEmpty();
  }

  /** The trusted key with id {@code id}, if it is one of them. */
  public Optional<TrustedKey> key(KeyId id) {
    return keys.stream().filter(k -> k.id().equals(id)).findFirst();
  }

  /** The trusted keys, in the order given. */
  public List<TrustedKey> keys() {
    return keys;
  }

  /** The trusted key ids, comma-separated: for messages. */
  public String describe() {
    return String.join(", ", keys.stream().map(k -> k.id().toString()).toList());
  }

  @Override
  public String toString() {
    return keys.isEmpty() ? "no trusted keys" : "trusted keys " + describe();
  }
}
