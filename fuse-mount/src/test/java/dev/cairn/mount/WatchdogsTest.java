package dev.cairn.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which new {@code fusermount} child is a mount's watchdog, when mounts start at the same time. */
class WatchdogsTest {
  private static List<String> args(String mountPoint) {
    return List.of("-o", "ro,auto_unmount,subtype=cairn", "--", mountPoint);
  }

  @Test
  void twoMountsStartingTogetherEachGetTheirOwnWatchdog() {
    Map<Long, List<String>> fresh = Map.of(11L, args("/mnt/a"), 12L, args("/mnt/b"));
    assertEquals(11L, Watchdogs.pick(fresh, "/mnt/a"));
    assertEquals(12L, Watchdogs.pick(fresh, "/mnt/b"));
    assertEquals(0L, Watchdogs.pick(fresh, "/mnt/c"));
    // a path that only starts like another mount point is not it
    assertEquals(0L, Watchdogs.pick(Map.of(13L, args("/mnt/a/b")), "/mnt/a"));
  }

  @Test
  void unreadableArgumentsAreTakenOnlyWhenTheWatchdogIsTheOnlyNewOne() {
    assertEquals(21L, Watchdogs.pick(Map.of(21L, List.of()), "/mnt/a"));
    assertEquals(0L, Watchdogs.pick(Map.of(21L, List.of(), 22L, List.of()), "/mnt/a"));
    assertEquals(22L, Watchdogs.pick(Map.of(21L, List.of(), 22L, args("/mnt/a")), "/mnt/a"));
    assertEquals(0L, Watchdogs.pick(Map.of(), "/mnt/a"));
  }
}
