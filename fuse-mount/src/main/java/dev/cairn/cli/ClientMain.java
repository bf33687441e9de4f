package dev.cairn.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Entry point of the slim client: what scripts/launcher runs for {@code cairn mount}, {@code
 * umount} and {@code mounts} (never {@code --foreground}) when {@code cairn-client.jar} lies beside
 * {@code cairn.jar}, on the class path {@code cairn-client.jar:cairn.jar}. The client jar holds
 * Cairn's own classes and no library, so a plain command handed to the serving process ({@link
 * FastPath}) never opens the full jar, whose 2 MB central directory (19,000 entries) and a
 * class-data archive covering every command were most of what a cold {@code cairn mount} read from
 * disk. Anything else goes to {@link Main} in this JVM: picocli and the other libraries are then
 * loaded from {@code cairn.jar}, next on the class path, so it behaves exactly as the full command
 * line.
 *
 * <p>Hidden first arguments: {@code --cds-train}, the workload of this client's own class-data
 * archive (the plain commands' refusals and their client side, {@link
 * dev.cairn.mount.ClientTraining}), and {@code --cds-check}, which only starts (a JVM mapping a new
 * archive). Not thread-safe (the training swaps {@code System.out}).
 */
public final class ClientMain {
  private ClientMain() {}

  /** The standard property naming the NIO selector provider, and Linux's (the JDK's default). */
  private static final String SELECTOR_PROVIDER = "java.nio.channels.spi.SelectorProvider";

  private static final String EPOLL = "sun.nio.ch.EPollSelectorProvider";

  public static void main(String[] args) {
    // The first socket looks its provider up as a service on the class path unless this names it:
    // that lookup opened cairn.jar (2 MB of directory read and indexed) for a file that is not
    // there. Named, it is the provider the JDK picks on Linux anyway.
    if (System.getProperty(SELECTOR_PROVIDER) == null) {
      System.setProperty(SELECTOR_PROVIDER, EPOLL);
    }
    if (args.length == 1 && args[0].equals("--cds-train")) {
      System.exit(train());
    }
    if (args.length == 1 && args[0].equals("--cds-check")) {
      System.exit(0);
    }
    Integer fast = FastPath.run(args);
    if (fast != null) {
      System.exit(fast);
    }
    Main.main(args);
  }

  /** Runs the client's commands without a server or a mount; 0 when the workload ran. */
  static int train() {
    return QuietRun.inTempDir(
        "cairn-cds-client",
        dir -> {
          // refused before any server is asked, then the client side of a mount, a list
          Path none = dir.resolve("no-mount-point");
          FastPath.run(
              new String[] {"mount", dir.resolve("none.cairn").toString(), none.toString()});
          FastPath.run(new String[] {"umount", none.toString()});
          dev.cairn.mount.ClientTraining.run(Files.createDirectory(dir.resolve("rt")));
          return 0;
        });
  }
}
