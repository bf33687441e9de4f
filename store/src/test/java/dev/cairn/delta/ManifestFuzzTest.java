package dev.cairn.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.error.CorruptStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the log parser: a log of random records is damaged at random (truncated, bytes flipped, a
 * region overwritten, garbage or zeros appended, or everything after the header replaced by noise)
 * and reopened. It must open without any exception, and hold exactly the state after the last
 * record that lies wholly before the first damaged byte. Plain and sealed (AES-256-GCM) alike.
 */
@ParameterizedClass(name = "sealed={0}")
@ValueSource(booleans = {false, true})
class ManifestFuzzTest {
  @Parameter boolean sealed;

  @TempDir Path tmp;

  static LongStream seeds() {
    return LongStream.range(0, 60);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void damagedLogOpensToTheIntactPrefix(long seed) throws IOException {
    Random r = new Random(seed);
    Path d = Files.createDirectory(tmp.resolve("m"));
    ManifestModel model = new ManifestModel();
    List<ManifestModel> states = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    try (Manifest m = Manifest.create(d, new long[Manifest.ATTRIBUTES], Ciphers.of(sealed))) {
      states.add(model.copy());
      ends.add(m.logBytes());
      int records = 1 + r.nextInt(12);
      for (int rec = 0; rec < records; rec++) {
        int changes = 1 + r.nextInt(r.nextBoolean() ? 5 : 200);
        for (int i = 0; i < changes; i++) {
          model.randomChange(m, r, 100);
        }
        m.sync();
        states.add(model.copy());
        ends.add(m.logBytes());
      }
    }
    Path logFile = ManifestLog.path(d, 0);
    byte[] good = Files.readAllBytes(logFile);
    byte[] bad = mutate(good, r);
    Files.write(logFile, bad);
    int firstChange = firstDifference(good, bad);
    int survivors = 0;
    while (survivors + 1 < ends.size() && ends.get(survivors + 1) <= firstChange) {
      survivors++;
    }
    try (Manifest m = Manifest.open(d, Ciphers.of(sealed))) {
      states.get(survivors).assertMatches(m, "seed " + seed + ", first change at " + firstChange);
      assertEquals(ends.get(survivors), Files.size(logFile));
    } catch (CorruptStoreException e) {
      fail("seed " + seed + ": a damaged tail must not be reported as corruption: " + e);
    }
  }

  private static byte[] mutate(byte[] good, Random r) {
    int header = ManifestLog.HEADER_LENGTH;
    int span = good.length - header;
    switch (r.nextInt(6)) {
      case 0 -> {
        return Arrays.copyOf(good, header + r.nextInt(span + 1));
      }
      case 1 -> {
        byte[] b = good.clone();
        for (int i = 1 + r.nextInt(8); i > 0 && span > 0; i--) {
          b[header + r.nextInt(span)] ^= (byte) (1 + r.nextInt(255));
        }
        return b;
      }
      case 2 -> {
        byte[] b = good.clone();
        if (span > 0) {
          int from = header + r.nextInt(span);
          int len = Math.min(b.length - from, 1 + r.nextInt(64));
          for (int i = 0; i < len; i++) {
            b[from + i] = (byte) r.nextInt(256);
          }
        }
        return b;
      }
      case 3 -> {
        byte[] b = Arrays.copyOf(good, good.length + r.nextInt(2000));
        for (int i = good.length; i < b.length; i++) {
          b[i] = (byte) r.nextInt(256);
        }
        return b;
      }
      case 4 -> {
        return Arrays.copyOf(good, good.length + r.nextInt(5000)); // zeros, as after a crash
      }
      default -> {
        byte[] b = Arrays.copyOf(good, header + r.nextInt(3 * span + 100));
        for (int i = header; i < b.length; i++) {
          b[i] = (byte) r.nextInt(256);
        }
        return b;
      }
    }
  }

  private static int firstDifference(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return n;
  }
}
