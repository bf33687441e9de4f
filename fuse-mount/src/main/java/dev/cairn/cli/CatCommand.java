package dev.cairn.cli;

import dev.cairn.args.Snapshots;
import dev.cairn.error.ExitCode;
import dev.cairn.error.UsageException;
import dev.cairn.read.Snapshot;
import dev.cairn.read.SnapshotChain;
import dev.cairn.read.StreamReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn cat}: a stream's logical bytes (or a range of them) to stdout. */
@Command(
    name = "cat",
    mixinStandardHelpOptions = true,
    description = "Write a stream's bytes, or a range of them, to stdout.")
final class CatCommand implements Callable<Integer> {
  enum Role {
    primary,
    secondary
  }

  @Mixin GlobalOptions global;

  @Mixin ParentSearch parentSearch;

  @Mixin KeyOptions keys;

  @Mixin TrustOptions trust;

  @Parameters(
      index = "0",
      paramLabel = "SNAP",
      description = "Snapshot file, http(s) URL or s3://BUCKET/KEY.")
  String snap;

  @Option(
      names = "--stream",
      paramLabel = "STREAM",
      defaultValue = "primary",
      description = "primary or secondary (default: ${DEFAULT-VALUE}).")
  Role stream;

  @Option(
      names = "--offset",
      paramLabel = "N",
      converter = SizeConverter.class,
      defaultValue = "0",
      description = "First byte to write.")
  long offset;

  @Option(
      names = "--length",
      paramLabel = "N",
      converter = SizeConverter.class,
      description = "Bytes to write (default: to the end).")
  Long length;

  @Override
  public Integer call() throws Exception {
    try (SnapshotChain chain =
        Snapshots.openChain(snap, parentSearch.dirs(), keys.ring(), trust.trust())) {
      Snapshot s = chain.top();
      int idx = stream == Role.primary ? 0 : 1;
      if (idx >= s.streams().size()) {
        throw new UsageException(snap + ": has no secondary stream");
      }
      StreamReader r = s.stream(idx);
      if (offset > r.size()) {
        throw new UsageException(
            snap
                + ": --offset "
                + offset
                + " is past the end of stream "
                + r.name()
                + " ("
                + r.size()
                + " bytes)");
      }
      // a length reaching past the end (even one that overflows offset + length) means "to the end"
      long end = length == null || length > r.size() - offset ? r.size() : offset + length;
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      @SuppressWarnings("resource") // stdout stays open for the JVM's lifetime
      FileChannel out = new FileOutputStream(FileDescriptor.out).getChannel();
      long pos = offset;
      while (pos < end) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
        int n = r.read(pos, buf);
        if (n <= 0) {
          break;
        }
        buf.flip();
        try {
          while (buf.hasRemaining()) {
            out.write(buf);
          }
        } catch (IOException e) {
          if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
            return ExitCode.FAILURE; // the reader went away; nothing to report
          }
          throw e;
        }
        pos += n;
      }
    }
    return ExitCode.OK;
  }
}
