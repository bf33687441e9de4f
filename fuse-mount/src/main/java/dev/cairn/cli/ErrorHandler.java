package dev.cairn.cli;

import dev.cairn.error.CairnException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on stderr and an exit code: 2 for usage errors (bad flags,
 * missing or unreadable input, not a snapshot, unsupported version), 1 for operational failures
 * (I/O, corruption). Stack traces only with {@code --debug}.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

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
    return USAGE;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    boolean debug = parsed.subcommand() != null ? isDebug(parsed.subcommand()) : isDebug(parsed);
    err.println("cairn: " + message(ex));
    if (debug) {
      ex.printStackTrace(err);
    }
    err.flush();
    // diff answers like diff(1) and cmp(1): 1 means "different", so any trouble is 2
    return cl.getCommand() instanceof DiffCommand ? DiffCommand.TROUBLE : exitCode(ex);
  }

  private static boolean isDebug(ParseResult parsed) {
    return parsed.hasMatchedOption("--debug");
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof UsageException) {
      return USAGE;
    }
    if (ex instanceof CairnException c) {
      return c.isUsageError() ? USAGE : FAILURE;
    }
    if (ex instanceof NoSuchFileException
        || ex instanceof AccessDeniedException
        || ex instanceof FileNotFoundException) {
      return USAGE;
    }
    return FAILURE;
  }

  static String message(Throwable ex) {
    if (ex instanceof NoSuchFileException e) {
      return e.getFile()
          + (e.getReason() == null
              ? ": no such file or directory"
              : ": not found (" + e.getReason() + ")");
    }
    if (ex instanceof AccessDeniedException e) {
      return e.getFile() + ": permission denied";
    }
    if (ex instanceof FileSystemException e && e.getReason() != null) {
      return e.getFile() + ": " + e.getReason();
    }
    if (ex instanceof OutOfMemoryError) {
      return "out of memory (try a smaller --cache-size, or raise the JVM heap with JAVA_OPTS)";
    }
    String m = ex.getMessage();
    if (ex instanceof IOException || ex instanceof UsageException) {
      return m == null ? ex.getClass().getSimpleName() : m.replace('\n', ' ');
    }
    return "internal error: " + ex + " (run with --debug for details)";
  }
}
