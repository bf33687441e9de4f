package dev.cairn.crypto;

import dev.cairn.error.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One secret the user gave on the command line: the contents of a key file ({@code --key-file}) or
 * a passphrase read from an environment variable ({@code --passphrase-env}). Its {@link #label()}
 * names it in messages without revealing it; {@code toString} never shows the secret.
 *
 * <p>Immutable; thread-safe.
 */
public sealed interface KeySource {
  /** How messages name this secret: "key file PATH" or "passphrase from $VAR". */
  String label();

  /** The master key under {@code kdf}, or null if this kind of secret cannot produce it. */
  byte[] masterKey(KeyDerivation kdf);

  /**
   * The derivation a new snapshot sealed with this secret records (fresh salt where it has one).
   */
  KeyDerivation newDerivation(byte[] salt);

  /**
   * A 32-byte key: a file of exactly 32 bytes, or of 64 hex digits (a trailing newline allowed).
   */
  record KeyFile(String label, byte[] key) implements KeySource {
    public KeyFile {
      if (key.length != Aead.KEY_LENGTH) {
        throw new IllegalArgumentException("a key is 32 bytes");
      }
      key = key.clone();
    }

    /** Reads and checks a key file; one-line errors name the file and what is wrong. */
    public static KeyFile read(Path path) throws UsageException {
      String label = "key file " + path;
      byte[] bytes;
      // the checks throw outside the try: a UsageException is an IOException too, and would be
      // reported as "cannot read" otherwise
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
        throw new UsageException(path + ": no such key file");
      }
      if (!Files.isRegularFile(path)) {
        throw new UsageException(path + ": not a regular file (a key file holds 32 bytes)");
      }
      long size;
      try {
        size = Files.size(path);
      } catch (IOException e) {
        throw new UsageException(path + ": cannot read the key file (" + e.getMessage() + ")");
      }
      if (size > 1024) {
        throw new UsageException(
            path + ": " + size + " bytes; a key file holds 32 bytes or 64 hex digits");
      }
      try {
        bytes = Files.readAllBytes(path);
      } catch (NoSuchFileException e) {
        throw new UsageException(path + ": no such key file");
      } catch (IOException e) {
        throw new UsageException(path + ": cannot read the key file (" + e.getMessage() + ")");
      }
      try {
        if (bytes.length == Aead.KEY_LENGTH) {
          return new KeyFile(label, bytes);
        }
        String text = new String(bytes, StandardCharsets.US_ASCII).strip();
        if (text.length() == 2 * Aead.KEY_LENGTH && text.chars().allMatch(KeyFile::isHexDigit)) {
          return new KeyFile(label, HexFormat.of().parseHex(text));
        }
        throw new UsageException(
            path
                + ": "
                + bytes.length
                + " bytes; a key file holds 32 bytes or 64 hex digits (make one with"
                + " 'head -c 32 /dev/urandom > FILE')");
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }

    private static boolean isHexDigit(int c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    @Override
    public byte[] masterKey(KeyDerivation kdf) {
      return kdf instanceof KeyDerivation.RawKey ? key.clone() : null;
    }

    @Override
    public KeyDerivation newDerivation(byte[] salt) {
      return new KeyDerivation.RawKey();
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** A passphrase, UTF-8, from the environment variable the label names. */
  record Passphrase(String label, byte[] utf8) implements KeySource {
    public Passphrase {
      if (utf8.length == 0) {
        throw new IllegalArgumentException("empty passphrase");
      }
      utf8 = utf8.clone();
    }

    /** Reads the passphrase from environment variable {@code variable}, which must be set. */
    public static Passphrase fromEnvironment(String variable) throws UsageException {
      String value = System.getenv(variable);
      if (value == null || value.isEmpty()) {
        throw new UsageException(
            "environment variable "
                + variable
                + " is "
                + (value == null ? "not set" : "empty")
                + " (--passphrase-env names a variable that holds the passphrase)");
      }
      return new Passphrase("passphrase from $" + variable, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] utf8() {
      return utf8.clone();
    }

    @Override
    public byte[] masterKey(KeyDerivation kdf) {
      return kdf instanceof KeyDerivation.Argon2id a ? a.derive(utf8) : null;
    }

    @Override
    public KeyDerivation newDerivation(byte[] salt) {
      return new KeyDerivation.Argon2id(
          KeyDerivation.Argon2id.DEFAULT_MEMORY_LOG2_KIB,
          KeyDerivation.Argon2id.DEFAULT_ITERATIONS,
          KeyDerivation.Argon2id.DEFAULT_PARALLELISM,
          salt);
    }

    @Override
    public String toString() {
      return label;
    }
  }
}
