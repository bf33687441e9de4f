package dev.cairn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --parent-search DIR} option of commands that open thin snapshots. */
public final class ParentSearch {
  @Option(
      names = "--parent-search",
      paramLabel = "DIR",
      description = "Also look for parent snapshots in DIR (repeatable).")
  List<Path> dirs = new ArrayList<>();

  List<Path> dirs() {
    return dirs;
  }
}
