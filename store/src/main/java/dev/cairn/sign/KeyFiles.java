package dev.cairn.sign;

import dev.cairn.delta.PrivateFiles;
import dev.cairn.error.UsageException;
import dev.cairn.io.AtomicOutputFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads and writes Ed25519 key files: a private key as PEM PKCS#8 ({@code -----BEGIN PRIVATE
 * KEY-----}), a public key as PEM SubjectPublicKeyInfo ({@code -----BEGIN PUBLIC KEY-----}), the
 * files {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey -pubout} write and read.
 * Every refusal is a one-line {@link UsageException} naming the file and what is wrong with it: it
 * is missing, unreadable, not PEM, not an Ed25519 key, damaged, or the wrong half of a pair.
 *
 * <p>Stateless; thread-safe.
 */
public final class KeyFiles {
  /** Larger files are not key files (an Ed25519 PEM is about 120 bytes). */
  static final int MAX_SIZE = 64 << 10;

  private static final String PRIVATE = "PRIVATE KEY";
  private static final String PUBLIC = "PUBLIC KEY";
  private static final String ED25519_OID = "1.3.101.112";

  private static final Map<String, String> ALGORITHMS =
      Map.of(
          "1.2.840.113549.1.1.1", "an RSA",
          "1.2.840.10045.2.1", "an EC",
          "1.2.840.10040.4.1", "a DSA",
          "1.3.101.110", "an X25519",
          "1.3.101.111", "an X448",
          "1.3.101.113", "an Ed448");

  private static final String MAKE_ONE =
      " (make one with 'cairn keygen -o NAME' or 'openssl genpkey -algorithm ed25519')";

  private KeyFiles() {}

  /** Reads a private key file (PEM PKCS#8, unencrypted). */
  public static SigningKey readPrivate(Path file) throws UsageException {
    PemObject pem = readPem(file, PRIVATE);
    String type = pem.getType();
    if (type.equals(PUBLIC) || type.endsWith(" " + PUBLIC)) {
      throw new UsageException(
          file + ": holds a public key; signing needs the private key (the .key file of the pair)");
    }
    if (type.equals("ENCRYPTED " + PRIVATE)) {
      throw new UsageException(
          file
              + ": an encrypted private key; give it unencrypted (openssl pkey -in "
              + file
              + " -out PLAIN.key)");
    }
    if (!type.equals(PRIVATE)) {
      throw otherType(file, type, PRIVATE);
    }
    byte[] der = pem.getContent();
    try {
      String oid;
      try {
        oid = PrivateKeyInfo.getInstance(der).getPrivateKeyAlgorithm().getAlgorithm().getId();
      } catch (RuntimeException e) {
        throw damaged(file, "PKCS#8 private key");
      }
      checkEd25519(file, oid);
      try {
        return SigningKey.fromPkcs8(der);
      } catch (InvalidKeySpecException | RuntimeException e) {
        throw damaged(file, "PKCS#8 private key");
      }
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** Reads a public key file (PEM SubjectPublicKeyInfo). */
  public static TrustedKey readPublic(Path file) throws UsageException {
    PemObject pem = readPem(file, PUBLIC);
    String type = pem.getType();
    if (type.endsWith(PRIVATE)) {
      throw new UsageException(
          file
              + ": holds a private key; give the public key (the .pub file of the pair, or"
              + " 'openssl pkey -in "
              + file
              + " -pubout')");
    }
    if (!type.equals(PUBLIC)) {
      throw otherType(file, type, PUBLIC);
    }
    byte[] der = pem.getContent();
    String oid;
    try {
      oid = SubjectPublicKeyInfo.getInstance(der).getAlgorithm().getAlgorithm().getId();
    } catch (RuntimeException e) {
      throw damaged(file, "SubjectPublicKeyInfo public key");
    }
    checkEd25519(file, oid);
    try {
      return TrustedKey.fromSpki(der);
    } catch (InvalidKeySpecException | RuntimeException e) {
      throw damaged(file, "SubjectPublicKeyInfo public key");
    }
  }

  /** The private key as a PEM PKCS#8 file's bytes (the caller should clear them after use). */
  public static byte[] privatePem(SigningKey key) {
    byte[] der = key.pkcs8();
    try {
      return pem(PRIVATE, der);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** The public key as a PEM SubjectPublicKeyInfo file's bytes. */
  public static byte[] publicPem(TrustedKey key) {
    return pem(PUBLIC, key.spki());
  }

  /**
   * Writes {@code key}'s private half to {@code keyFile} (mode 0600) and its public half to {@code
   * pubFile} (mode 0644), refusing if either already exists. Each file is written to a temporary in
   * its directory and renamed into place, the public one last; if that fails the private one is
   * removed again, so the pair appears whole or not at all.
   *
   * @throws UsageException if either file exists (nothing is written)
   */
  public static void writePair(SigningKey key, Path keyFile, Path pubFile) throws IOException {
    refuseExisting(keyFile);
    refuseExisting(pubFile);
    byte[] privatePem = privatePem(key);
    try (AtomicOutputFile priv = AtomicOutputFile.create(keyFile, PrivateFiles.FILE);
        AtomicOutputFile pub =
            AtomicOutputFile.create(
                pubFile,
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-r--r--")))) {
      writeAll(priv.channel(), privatePem);
      writeAll(pub.channel(), publicPem(key.publicKey()));
      // the rename replaces what it finds: look again just before (another writer racing this one
      // between the look and the rename is not guarded against)
      refuseExisting(keyFile);
      refuseExisting(pubFile);
      priv.commit();
      boolean done = false;
      try {
        refuseExisting(pubFile);
        pub.commit();
        // the mode given at creation is narrowed by the umask; a public key is meant to be read
        Files.setPosixFilePermissions(pubFile, PosixFilePermissions.fromString("rw-r--r--"));
        done = true;
      } finally {
        if (!done) {
          Files.deleteIfExists(keyFile);
        }
      }
    } finally {
      Arrays.fill(privatePem, (byte) 0);
    }
  }

  /**
   * Throws the refusal {@link #writePair} gives if {@code file} exists (as anything, a dangling
   * symbolic link included): for a caller that checks its arguments before any work.
   */
  public static void refuseExisting(Path file) throws UsageException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new UsageException(
          file
              + ": already exists (a key file is never overwritten; remove it or pick another name)");
    }
  }

  private static void writeAll(WritableByteChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static byte[] pem(String type, byte[] der) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PemWriter w = new PemWriter(new OutputStreamWriter(out, StandardCharsets.US_ASCII))) {
      w.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory", e);
    }
    return out.toByteArray();
  }

  /** The first PEM object of {@code file}; {@code expected} names the type for messages. */
  private static PemObject readPem(Path file, String expected) throws UsageException {
    byte[] bytes = readFile(file);
    String notPem = file + ": not a PEM key file (expected -----BEGIN " + expected + "-----)";
    try (PemReader r =
        new PemReader(new StringReader(new String(bytes, StandardCharsets.ISO_8859_1)))) {
      PemObject pem = r.readPemObject();
      if (pem == null) {
        throw new UsageException(notPem);
      }
      return pem;
    } catch (UsageException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // a BEGIN line without its END, or a body that is not base64
      throw new UsageException(notPem);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static byte[] readFile(Path file) throws UsageException {
    if (!Files.exists(file)) {
      throw new UsageException(file + ": no such key file");
    }
    if (!Files.isRegularFile(file)) {
      throw new UsageException(file + ": not a regular file (a key file is a PEM text file)");
    }
    try {
      long size = Files.size(file);
      if (size > MAX_SIZE) {
        throw new UsageException(
            file + ": " + size + " bytes, too large for a PEM key file (an Ed25519 key is ~120)");
      }
      return Files.readAllBytes(file);
    } catch (UsageException e) {
      throw e;
    } catch (NoSuchFileException e) {
      throw new UsageException(file + ": no such key file");
    } catch (AccessDeniedException e) {
      throw new UsageException(file + ": cannot read the key file (permission denied)");
    } catch (FileSystemException e) {
      throw new UsageException(file + ": cannot read the key file (" + e.getReason() + ")");
    } catch (IOException e) {
      throw new UsageException(file + ": cannot read the key file (" + e.getMessage() + ")");
    }
  }

  private static void checkEd25519(Path file, String oid) throws UsageException {
    if (!oid.equals(ED25519_OID)) {
      String what = ALGORITHMS.getOrDefault(oid, "a " + oid);
      throw new UsageException(file + ": " + what + " key, not Ed25519" + MAKE_ONE);
    }
  }

  private static UsageException otherType(Path file, String type, String expected) {
    String what =
        switch (type) {
          case "RSA PRIVATE KEY", "RSA PUBLIC KEY" -> "an RSA key, not Ed25519";
          case "EC PRIVATE KEY" -> "an EC key, not Ed25519";
          case "DSA PRIVATE KEY" -> "a DSA key, not Ed25519";
          case "OPENSSH PRIVATE KEY" -> "an OpenSSH private key, not PEM PKCS#8";
          // the type comes from the file: no control characters into a terminal
          default ->
              "a PEM '"
                  + type.replaceAll("[^\\x20-\\x7e]", "?")
                  + "', not -----BEGIN "
                  + expected
                  + "-----";
        };
    return new UsageException(file + ": " + what + MAKE_ONE);
  }

  private static UsageException damaged(Path file, String what) {
    return new UsageException(file + ": damaged key (the PEM body is not an Ed25519 " + what + ")");
  }
}
