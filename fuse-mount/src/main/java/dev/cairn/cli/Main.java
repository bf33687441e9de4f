package dev.cairn.cli;

import dev.cairn.args.KeyArguments;
import dev.cairn.error.ExitCode;
import java.io.IOException;
import java.util.Arrays;
import picocli.CommandLine;

/** Entry point of the {@code cairn} command. */
public final class Main {
  /**
   * Internal first argument of a JVM started by {@link FullJit}: its key ring follows on standard
   * input (the passphrase variables are not in its environment). Not a secret itself.
   */
  static final String KEYS_ON_STDIN = "--keys-on-stdin";

  private Main() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--cds-train")) {
      System.exit(CliTraining.run());
    }
    if (args.length > 0 && args[0].equals(KEYS_ON_STDIN)) {
      try {
        KeyOptions.inherit(KeyArguments.receive(System.in));
      } catch (IOException e) {
        System.err.println("cairn: cannot read the keys handed over: " + ExitCode.message(e));
        System.exit(ExitCode.FAILURE);
      }
      args = Arrays.copyOfRange(args, 1, args.length);
    } else {
      // mount, umount and mounts in their plain forms: without building the picocli command tree
      Integer fast = FastPath.run(args);
      if (fast != null) {
        System.exit(fast);
      }
    }
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (0 ok, 1 operational failure, 2 usage). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new CairnCommand());
    ErrorHandler handler = new ErrorHandler();
    cl.setExecutionExceptionHandler(handler);
    cl.setParameterExceptionHandler(handler);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl.execute(args);
  }
}
