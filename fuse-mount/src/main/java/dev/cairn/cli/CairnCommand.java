package dev.cairn.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code cairn} command: only dispatches to subcommands. */
@Command(
    name = "cairn",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description =
        "Pack disk images, memory dumps and tensors into compressed snapshots and mount them.",
    subcommands = {
      PackCommand.class,
      InfoCommand.class,
      VerifyCommand.class,
      CatCommand.class,
      DiffCommand.class,
      CommitCommand.class,
      MountCommand.class,
      UmountCommand.class,
      MountsCommand.class,
      FetchCommand.class,
      CacheCommand.class,
      SignCommand.class,
      KeygenCommand.class,
    })
public final class CairnCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command (see cairn --help)");
  }
}
