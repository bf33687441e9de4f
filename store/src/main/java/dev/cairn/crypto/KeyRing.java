package dev.cairn.crypto;

import dev.cairn.error.CairnException;
import dev.cairn.error.MissingKeyException;
import dev.cairn.error.WrongKeyException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The secrets one command was given ({@code --key-file}, {@code --passphrase-env}, each
 * repeatable), tried in order against each encrypted snapshot or overlay it opens: the first whose
 * master key passes the file's key check opens it. A snapshot and its parent may so be sealed under
 * different secrets; a missing or wrong secret is reported naming the file, never as damage.
 *
 * <p>Argon2id derivations are remembered (per secret and salt), so a chain sealed under one
 * passphrase costs one derivation per distinct salt, and a serving process handed the ring through
 * {@link #writeTo} does not derive again.
 *
 * <p>Thread-safe.
 */
public final class KeyRing {
  /** No secrets: opening an encrypted file fails with {@link MissingKeyException}. */
  public static final KeyRing NONE = new KeyRing(List.of());

  private static final int WIRE_VERSION = 1;
  private static final int KIND_KEY_FILE = 1;
  private static final int KIND_PASSPHRASE = 2;

  private final List<KeySource> sources;
  private final Map<Memo, byte[]> derived = new ConcurrentHashMap<>();

  private record Memo(int source, KeyDerivation kdf) {}

  /** A new master key for sealing a new file, with the derivation its header records. */
  public record Sealing(KeyDerivation kdf, byte[] masterKey, String label) {
    @Override
    public String toString() {
      return label + " (" + kdf.describe() + ")";
    }
  }

  private KeyRing(List<KeySource> sources) {
    this.sources = List.copyOf(sources);
  }

  public static KeyRing of(List<KeySource> sources) {
    return sources.isEmpty() ? NONE : new KeyRing(sources);
  }

  public boolean isEmpty() {
    return sources.isEmpty();
  }

  public List<KeySource> sources() {
    return sources;
  }

  /**
   * The master key of {@code what} (a file's name, for messages) under {@code kdf}: the first
   * secret whose master key {@code check} accepts.
   *
   * @throws MissingKeyException if no secret was given
   * @throws WrongKeyException if none passes the check
   */
  public byte[] unlock(KeyDerivation kdf, Predicate<byte[]> check, String what)
      throws CairnException {
    if (sources.isEmpty()) {
      throw new MissingKeyException(what);
    }
    boolean anyCompatible = false;
    for (int i = 0; i < sources.size(); i++) {
      byte[] master = master(i, kdf);
      if (master == null) {
        continue;
      }
      anyCompatible = true;
      if (check.test(master)) {
        return master;
      }
    }
    String tried = sources.stream().map(KeySource::label).collect(Collectors.joining(", "));
    if (!anyCompatible) {
      tried += "; it was sealed with a " + kdf.describe();
    }
    throw new WrongKeyException(what, tried);
  }

  private byte[] master(int i, KeyDerivation kdf) {
    KeySource s = sources.get(i);
    if (kdf instanceof KeyDerivation.RawKey) {
      return s.masterKey(kdf);
    }
    Memo memo = new Memo(i, kdf);
    byte[] m = derived.get(memo);
    if (m == null) {
      m = s.masterKey(kdf);
      if (m == null) {
        return null;
      }
      derived.put(memo, m);
    }
    return m;
  }

  /** How many passphrase derivations this ring remembers (for tests). */
  int remembered() {
    return derived.size();
  }

  /** A master key for a new file, from the first secret given (a fresh salt for a passphrase). */
  public Sealing newSealing(SecureRandom random) throws CairnException {
    if (sources.isEmpty()) {
      throw new MissingKeyException("--encrypt");
    }
    KeySource s = sources.get(0);
    byte[] salt = new byte[KeyDerivation.SALT_LENGTH];
    random.nextBytes(salt);
    KeyDerivation kdf = s.newDerivation(salt);
    return new Sealing(kdf, master(0, kdf), s.label());
  }

  /**
   * Writes the secrets and the derivations made so far, for a serving process started by this one
   * (over a pipe: never a command line or environment). Read back with {@link #readFrom}.
   */
  public void writeTo(DataOutputStream out) throws IOException {
    out.writeByte(WIRE_VERSION);
    out.writeShort(sources.size());
    for (KeySource s : sources) {
      byte[] secret;
      if (s instanceof KeySource.KeyFile f) {
        out.writeByte(KIND_KEY_FILE);
        secret = f.key();
      } else {
        out.writeByte(KIND_PASSPHRASE);
        secret = ((KeySource.Passphrase) s).utf8();
      }
      writeBytes(out, s.label().getBytes(StandardCharsets.UTF_8));
      writeBytes(out, secret);
    }
    List<Map.Entry<Memo, byte[]>> memos = new ArrayList<>(derived.entrySet());
    out.writeShort(memos.size());
    for (Map.Entry<Memo, byte[]> e : memos) {
      KeyDerivation.Argon2id a = (KeyDerivation.Argon2id) e.getKey().kdf();
      out.writeShort(e.getKey().source());
      out.writeByte(a.memoryLog2KiB());
      out.writeByte(a.iterations());
      out.writeByte(a.parallelism());
      out.write(a.salt());
      out.write(e.getValue());
    }
    out.flush();
  }

  /** Reads what {@link #writeTo} wrote. */
  public static KeyRing readFrom(DataInputStream in) throws IOException {
    int version = in.readUnsignedByte();
    if (version != WIRE_VERSION) {
      throw new IOException("key ring of wire version " + version);
    }
    int n = in.readUnsignedShort();
    List<KeySource> sources = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int kind = in.readUnsignedByte();
      String label = new String(readBytes(in), StandardCharsets.UTF_8);
      byte[] secret = readBytes(in);
      sources.add(
          switch (kind) {
            case KIND_KEY_FILE -> new KeySource.KeyFile(label, secret);
            case KIND_PASSPHRASE -> new KeySource.Passphrase(label, secret);
            default -> throw new IOException("key ring entry of kind " + kind);
          });
    }
    KeyRing ring = of(sources);
    int memos = in.readUnsignedShort();
    for (int i = 0; i < memos; i++) {
      int source = in.readUnsignedShort();
      int memory = in.readUnsignedByte();
      int iterations = in.readUnsignedByte();
      int parallelism = in.readUnsignedByte();
      byte[] salt = in.readNBytes(KeyDerivation.SALT_LENGTH);
      byte[] master = in.readNBytes(Aead.KEY_LENGTH);
      if (source >= n || master.length != Aead.KEY_LENGTH) {
        throw new IOException("key ring derivation out of range");
      }
      ring.derived.put(
          new Memo(source, new KeyDerivation.Argon2id(memory, iterations, parallelism, salt)),
          master);
    }
    return ring;
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeShort(b.length);
    out.write(b);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int len = in.readUnsignedShort();
    byte[] b = in.readNBytes(len);
    if (b.length != len) {
      throw new IOException("key ring cut short");
    }
    return b;
  }

  @Override
  public String toString() {
    return sources.stream().map(KeySource::label).collect(Collectors.joining(", ", "[", "]"));
  }
}
