/**
 * Ed25519 signing keys: generating them ({@link dev.cairn.sign.SigningKey#generate}), signing and
 * verifying bytes ({@link dev.cairn.sign.SigningKey}, {@link dev.cairn.sign.TrustedKey}), their
 * files ({@link dev.cairn.sign.KeyFiles}: PEM PKCS#8 private keys, PEM SubjectPublicKeyInfo public
 * keys, the formats {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey -pubout}
 * write) and key ids ({@link dev.cairn.sign.KeyId}: the first 8 bytes of SHA-256 over the public
 * key's SubjectPublicKeyInfo DER, as 16 lower-case hex digits). The primitives come from the JDK
 * (Ed25519 signatures, SHA-256); Bouncy Castle supplies only the PEM armour and the public half of
 * a private key read from a file, which the JDK 17 cannot compute.
 *
 * <p>Must not know the snapshot format: which bytes a snapshot's signature covers, and where the
 * signature is stored, are decided by the format ({@code dev.cairn.format}) and documented there.
 */
package dev.cairn.sign;
