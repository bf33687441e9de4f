package dev.cairn.cli;

import picocli.CommandLine.Option;

/** Options every subcommand takes. Mixed into each command. */
public final class GlobalOptions {
  @Option(names = "--debug", description = "Show stack traces and debug logging.")
  boolean debug;
}
