package dev.cairn.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountOptionsTest {
  @TempDir Path tmp;

  @Test
  void readOnlyAutoUnmountNamedCairn() {
    assertEquals(
        "ro,auto_unmount,default_permissions,fsname=/srv/base.cairn,subtype=cairn,kernel_cache,"
            + "big_writes,allow_other",
        MountOptions.of("/srv/base.cairn", true));
    assertFalse(MountOptions.of("base.cairn", false).contains("allow_other"));
  }

  @Test
  void fsNameCannotBreakTheOptionList() {
    assertEquals("a_b_c_d", MountOptions.fsName("a,b c\\d"));
    assertEquals("snapshot", MountOptions.fsName(""));
    assertEquals(64, MountOptions.fsName("x".repeat(100)).length());
    assertEquals("_ber.cairn", MountOptions.fsName("über.cairn"));
  }

  @Test
  void sourceIsTheSnapshotPathWhereTheMountTableCanCarryIt() {
    assertEquals("/srv/images/base.cairn", MountOptions.source("/srv/images/base.cairn"));
    assertEquals("https://h:8080/a/b.cairn", MountOptions.source("https://h:8080/a/b.cairn"));
    assertEquals("cairn:my_image.cairn", MountOptions.source("/srv/my image.cairn"));
    assertEquals("cairn:a_b.cairn", MountOptions.source("/srv/x,y/a,b.cairn"));
    assertEquals("cairn:b.cairn_x_1", MountOptions.source("https://h/b.cairn?x=1"));
    assertEquals("cairn:_ber.cairn", MountOptions.source("/srv/über.cairn"));
    assertEquals("cairn:" + "x".repeat(64), MountOptions.source("/" + "x".repeat(300)));
  }

  @Test
  void allowOtherForRootAlways() {
    assertTrue(MountOptions.allowOther(0, tmp.resolve("missing.conf")));
  }

  @Test
  void allowOtherForUsersOnlyWithUserAllowOther() throws Exception {
    Path conf = tmp.resolve("fuse.conf");
    assertFalse(MountOptions.allowOther(1000, conf));
    Files.writeString(conf, "# comment\n#user_allow_other\nmount_max = 10\n");
    assertFalse(MountOptions.allowOther(1000, conf));
    Files.writeString(conf, "mount_max = 10\n  user_allow_other  \n");
    assertTrue(MountOptions.allowOther(1000, conf));
  }
}
