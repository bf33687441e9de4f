package dev.cairn.cli;

import dev.cairn.error.ExitCode;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure of a command into one line on stderr and an exit code ({@link ExitCode}: 2
 * for usage errors, bad flags among them, 1 for operational failures). Stack traces only with
 * {@code --debug}. Stateless.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    PrintWriter err = ex.getCommandLine().getErr();
    String message = ex.getMessage().strip().replaceAll("\\s*\\R\\s*", "; ");
    if (ex instanceof UnmatchedArgumentException u
        && ex.getCommandLine().getParent() == null
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      message = "unknown command '" + u.getUnmatched().get(0) + "'";
    }
    // one line, like every other error: the pointer to help rides on it
    err.println(
        "cairn: "
            + message
            + " (see '"
            + ex.getCommandLine().getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return ExitCode.USAGE;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    boolean debug = parsed.subcommand() != null ? isDebug(parsed.subcommand()) : isDebug(parsed);
    err.println("cairn: " + ExitCode.message(ex));
    if (debug) {
      ex.printStackTrace(err);
    }
    err.flush();
    // diff answers like diff(1) and cmp(1): 1 means "different", so any trouble is 2
    return cl.getCommand() instanceof DiffCommand ? DiffCommand.TROUBLE : ExitCode.of(ex);
  }

  private static boolean isDebug(ParseResult parsed) {
    return parsed.hasMatchedOption("--debug");
  }
}
