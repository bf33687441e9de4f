/**
 * Cryptographic building blocks that are not Cairn's own business, wrapped once: AES-256-GCM
 * sealing of buffers ({@link dev.cairn.crypto.Aead}), the 32-byte digest of a block's stored bytes
 * for verified reads ({@link dev.cairn.crypto.BlockDigest}: SHA-256 or BLAKE3), HKDF-SHA256
 * sub-keys ({@link dev.cairn.crypto.Hkdf}), the key derivations a user's secret goes through
 * ({@link dev.cairn.crypto.KeyDerivation}: a raw key file, or Argon2id over a passphrase) and the
 * keys a command was given ({@link dev.cairn.crypto.KeyRing}). The primitives come from OpenSSL's
 * libcrypto where it loads (AES-GCM, SHA-256: fast without C2, loaded once by {@code LibCrypto}),
 * the JDK (their fallbacks) and Bouncy Castle (Argon2id, HKDF, BLAKE3).
 *
 * <p>Must not know the snapshot format or the overlay's files: which bytes are sealed, with which
 * nonce and associated data, is decided by the format ({@code dev.cairn.format}) and the delta
 * store ({@code dev.cairn.delta}) and documented there byte by byte.
 */
package dev.cairn.crypto;
