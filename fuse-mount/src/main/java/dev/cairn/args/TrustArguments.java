package dev.cairn.args;

import dev.cairn.error.UsageException;
import dev.cairn.sign.KeyFiles;
import dev.cairn.sign.Trust;
import dev.cairn.sign.TrustedKey;
import java.nio.file.Path;
import java.security.spec.InvalidKeySpecException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The {@code --trust PUB} options a user gave turned into a {@link Trust}, and its hand-off to a
 * mount's serving process: as the public keys' raw bytes on its command line ({@code
 * --trust-0=HEX}, …), which are not secret, so the process does not depend on the files still being
 * there or readable from its working directory. Stateless.
 */
public final class TrustArguments {
  private static final String ARG = "trust-";

  private TrustArguments() {}

  /** Reads every public key file, in order; a bad one is a one-line usage error naming it. */
  public static Trust read(List<Path> files) throws UsageException {
    List<TrustedKey> keys = new ArrayList<>(files.size());
    for (Path f : files) {
      keys.add(KeyFiles.readPublic(f));
    }
    return Trust.of(keys);
  }

  /** The serving process's arguments for {@code trust}: {@code --trust-0=HEX}, … */
  public static List<String> serveArgs(Trust trust) {
    List<String> out = new ArrayList<>();
    List<TrustedKey> keys = trust.keys();
    for (int i = 0; i < keys.size(); i++) {
      out.add("--" + ARG + i + "=" + HexFormat.of().formatHex(keys.get(i).raw()));
    }
    return out;
  }

  /** What {@link #serveArgs} wrote, from the serving process's parsed arguments. */
  public static Trust fromServeArgs(Map<String, String> a) throws UsageException {
    List<TrustedKey> keys = new ArrayList<>();
    for (int i = 0; a.containsKey(ARG + i); i++) {
      try {
        keys.add(TrustedKey.fromRaw(HexFormat.of().parseHex(a.get(ARG + i))));
      } catch (InvalidKeySpecException | IllegalArgumentException e) {
        throw new UsageException("--" + ARG + i + ": not an Ed25519 public key");
      }
    }
    return Trust.of(keys);
  }
}
