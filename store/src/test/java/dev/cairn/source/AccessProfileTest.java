package dev.cairn.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.source.AccessProfile.Entry;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The access profile's text form: written, read back, refused when it is not one. */
class AccessProfileTest {
  @Test
  void aProfileReadsBackAsWrittenAndKeepsFirstReadOrderWithoutRepeats() throws IOException {
    AccessProfile p =
        new AccessProfile(
            List.of(
                new Entry("child.cairn", 7),
                new Entry("base.cairn", 0),
                new Entry("child.cairn", 7),
                new Entry("child.cairn", 2)));
    assertEquals("cairn-profile 1\nchild.cairn 7\nbase.cairn 0\nchild.cairn 2\n", p.render());
    assertEquals(p, AccessProfile.parse(p.render(), "x"));
    assertEquals(List.of(7L, 2L), p.chunksOf("child.cairn"));
    assertEquals(List.of(0L), p.chunksOf("base.cairn"));
    assertEquals(List.of(), p.chunksOf("other.cairn"));
  }

  @Test
  void somethingElseIsRefusedNamingWhereAndTheLine() {
    IOException e =
        assertThrows(IOException.class, () -> AccessProfile.parse("hello\n", "http://h/a.profile"));
    assertEquals(
        "http://h/a.profile: not a cairn access profile (no 'cairn-profile 1' line)",
        e.getMessage());
    for (String bad : List.of("a.cairn -1", "a.cairn x", "a/b 1", "a.cairn 1 2", " 3", "")) {
      IOException l =
          assertThrows(
              IOException.class,
              () -> AccessProfile.parse("cairn-profile 1\nok.cairn 1\n" + bad + "\nz 1\n", "f"),
              bad);
      assertEquals("f: line 3 is not 'MEMBER CHUNK'", l.getMessage());
    }
  }

  @Test
  void theMemberNameIsTheLastSegmentOfTheUrl() {
    assertEquals("v2.cairn", AccessProfile.memberName("https://h:8443/images/v2.cairn"));
    assertEquals("k.cairn", AccessProfile.memberName("s3://bucket/dir/k.cairn"));
    assertEquals(List.of(), quietly("cairn-profile 1\n").entries());
  }

  private static AccessProfile quietly(String text) {
    try {
      return AccessProfile.parse(text, "x");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
