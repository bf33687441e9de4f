package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
  private static final String SAMPLE =
      """
      22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
      36 22 98:0 / /mnt/with\\040space rw,noatime master:1 - ext4 /dev/root rw,errors=continue
      42 27 0:39 / /tmp/ct/mnt ro,nosuid,nodev,relatime - fuse.cairn cairn:rnd.cairn ro,user_id=0,group_id=0
      43 27 0:40 / /tmp/ct/mnt ro,nosuid,nodev,relatime - fuse.sshfs host:/ ro
      garbage line
      44 27 0:41 / /tmp/back\\134slash rw - fuse fusefs1 rw
      """;

  @Test
  void parsesFieldsAfterTheSeparatorAndOptionalFields() {
    List<MountTable.Entry> all = MountTable.parse(SAMPLE);
    assertEquals(5, all.size());
    MountTable.Entry e = all.get(2);
    assertEquals("/tmp/ct/mnt", e.mountPoint());
    assertEquals("fuse.cairn", e.fsType());
    assertEquals("cairn:rnd.cairn", e.source());
    assertTrue(e.isCairn());
    assertTrue(e.isFuse());
  }

  @Test
  void unescapesOctal() {
    List<MountTable.Entry> all = MountTable.parse(SAMPLE);
    assertEquals("/mnt/with space", all.get(1).mountPoint());
    assertEquals("/tmp/back\\slash", all.get(4).mountPoint());
    assertEquals("a\\0b", MountTable.unescape("a\\0b"));
    assertEquals("tail\\", MountTable.unescape("tail\\"));
  }

  @Test
  void findReturnsTheTopmostMount() {
    List<MountTable.Entry> all = MountTable.parse(SAMPLE);
    MountTable.Entry top = MountTable.find(all, Path.of("/tmp/ct/mnt")).orElseThrow();
    assertEquals("fuse.sshfs", top.fsType());
    assertFalse(top.isCairn());
    assertTrue(top.isFuse());
    assertTrue(MountTable.find(all, Path.of("/tmp/ct")).isEmpty());
  }

  @Test
  void readsThisProcessTable() throws Exception {
    assertTrue(MountTable.find(Path.of("/proc")).isPresent());
  }
}
