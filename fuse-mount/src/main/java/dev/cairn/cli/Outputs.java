package dev.cairn.cli;

import dev.cairn.error.NotARegularFileException;
import dev.cairn.error.UsageException;
import dev.cairn.io.AtomicOutputFile;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks where a command writes (a file, or standard output) before any work starts; what it reads
 * is checked by {@link dev.cairn.args.InputFiles}. Stateless.
 */
final class Outputs {
  private Outputs() {}

  /** Whether {@code -o arg} asks for standard output. */
  static boolean isStdout(String arg) {
    return arg.equals("-");
  }

  /**
   * Standard output as the channel a snapshot is streamed to, refused when it is a terminal. Its
   * failures (a reader that went away: "Broken pipe") name it. Never closed.
   */
  static WritableByteChannel stdout() throws UsageException {
    if (Terminal.isTerminal(Terminal.STDOUT)) {
      throw new UsageException(
          "-o -: standard output is a terminal; redirect it to a file or a pipe");
    }
    FileChannel ch = new FileOutputStream(FileDescriptor.out).getChannel();
    return new WritableByteChannel() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        try {
          return ch.write(src);
        } catch (IOException e) {
          throw new IOException("standard output: " + e.getMessage(), e);
        }
      }

      @Override
      public boolean isOpen() {
        return ch.isOpen();
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Checks that {@code out} can be written: it is new or a regular file (not a device, FIFO,
   * socket, directory or symbolic link, which are left as they are) in a directory that exists
   * (else a usage error) and is writable (else an operational failure naming the directory).
   */
  static Path outputFile(String arg) throws UsageException, IOException {
    if (arg.isEmpty()) {
      throw new UsageException(
          "-o '': empty file name; give the snapshot file to write (or - for standard output)");
    }
    Path p = Path.of(arg).toAbsolutePath();
    try {
      AtomicOutputFile.checkReplaceable(p);
    } catch (NotARegularFileException e) {
      throw new UsageException(
          arg
              + ": is "
              + e.kind()
              + switch (e.kind()) {
                case "a directory" -> "; give the output file name";
                case "a symbolic link" -> ", not a regular file; give the path of the file itself";
                default -> ", not a regular file; give a file to write (or - for standard output)";
              });
    }
    Path dir = p.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UsageException(arg + ": directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) {
      throw new IOException(dir + ": directory not writable, cannot create " + p.getFileName());
    }
    return p;
  }
}
