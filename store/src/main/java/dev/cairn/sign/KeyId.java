package dev.cairn.sign;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The short name of a public key, shown by {@code cairn keygen} and wherever a command says who
 * signed a snapshot: the first 8 bytes of SHA-256 over the key's SubjectPublicKeyInfo DER (the
 * bytes inside a {@code -----BEGIN PUBLIC KEY-----} file), as 16 lower-case hex digits. The same
 * key has the same id whichever tool wrote its file, so it can be computed outside Cairn with
 * {@code openssl pkey -pubin -in KEY.pub -outform DER | sha256sum | cut -c1-16}. Eight bytes name a
 * key among a fleet's trusted keys; they are not what a signature's security rests on (verification
 * uses the whole key).
 *
 * <p>Immutable; thread-safe.
 *
 * @param hex 16 lower-case hex digits
 */
public record KeyId(String hex) {
  /** Bytes of the SHA-256 the id keeps. */
  public static final int LENGTH = 8;

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{" + 2 * LENGTH + "}");

  public KeyId {
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("a key id is 16 lower-case hex digits: " + hex);
    }
  }

  /** The id of the public key whose SubjectPublicKeyInfo DER is {@code spki}. */
  public static KeyId of(byte[] spki) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(spki);
      return new KeyId(HexFormat.of().formatHex(Arrays.copyOf(digest, LENGTH)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return hex;
  }
}
