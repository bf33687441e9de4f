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
        "ro,auto_unmount,default_permissions,fsname=cairn:base.cairn,subtype=cairn,kernel_cache,"
            + "big_writes,allow_other",
        MountOptions.of("base.cairn", true));
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
