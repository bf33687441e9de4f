package dev.cairn.cli;

import picocli.CommandLine;

/** Entry point of the {@code cairn} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--cds-train")) {
      System.exit(CliTraining.run());
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
