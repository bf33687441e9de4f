package dev.cairn.fuse;

import jnr.ffi.LastError;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.size_t;

/**
 * Lets the kernel send read and write requests larger than libfuse 2.9's 128 KiB.
 *
 * <p>Since Linux 4.20 a FUSE server may raise the request size limit from 32 pages to up to 256 (1
 * MiB) by setting {@code FUSE_MAX_PAGES} and {@code max_pages} in its {@code INIT} reply. libfuse
 * 2.9 predates that field (it replies with protocol 7.19's 24-byte {@code fuse_init_out}), so every
 * sequential read costs a kernel round trip per 128 KiB. This class swaps the channel's {@code
 * send} function for a Java one during the {@code INIT} exchange — the first reply of a session,
 * sent before the kernel lets any other request through — widens that reply to the current 64-byte
 * layout with the two fields set, writes it to the device itself, and puts libfuse's {@code send}
 * back. It also raises {@code max_write} to the same size, so a writer's 1 MiB {@code write()}
 * crosses to the server once instead of eight times (the kernel sends a writer's requests one after
 * another); {@link FuseLoop} receives into buffers large enough for that. Read replies come from a
 * buffer libfuse allocates per request, so they need nothing more.
 *
 * <p>Layouts (Linux x86-64). {@code struct fuse_chan} (libfuse 2.9, private): receive at 0, send at
 * 8, destroy at 16. The reply is an {@code iovec[2]} (16 bytes each: base, length): {@code
 * fuse_out_header} (len u32 @0, error s32 @4, unique u64 @8) and {@code fuse_init_out}: major @0,
 * minor @4, max_readahead @8, flags u32 @12, max_background u16 @16, congestion_threshold u16 @18,
 * max_write @20 — libfuse stops here, at 24 bytes — time_gran @24, max_pages u16 @28, map_alignment
 * u16 @30, flags2 @32, then reserved words up to 64 bytes.
 *
 * <p>Thread-safe for its purpose: the send hook runs once, before any other request is served.
 */
final class InitReplyPatch {
  static final int MAX_MAX_PAGES = 256;

  private static final int SEND_OFFSET = 8;
  private static final int LIBFUSE_INIT_OUT = 24;
  private static final int INIT_OUT = 64;
  private static final int OUT_HEADER = 16;
  private static final int MAX_PAGES_OFFSET = 28;
  private static final int FLAGS_OFFSET = 12;
  private static final int MAX_WRITE_OFFSET = 20;
  private static final int PAGE = 4096;
  private static final int FUSE_MAX_PAGES = 1 << 22;

  /** The {@code send} member of libfuse 2.9's {@code struct fuse_chan_ops}. */
  public interface Send {
    @Delegate
    int send(Pointer ch, Pointer iov, @size_t long count);
  }

  private final Pointer ch;
  private final Pointer original;
  private final int maxPages;
  private final Runtime runtime;
  private final FuseLoop.Lib lib;
  private final int fd;
  private final Send hook;
  private Pointer hookPointer;

  private InitReplyPatch(FuseLoop.Lib lib, Pointer ch, int maxPages) {
    this.lib = lib;
    this.ch = ch;
    this.maxPages = maxPages;
    this.original = ch.getPointer(SEND_OFFSET);
    this.runtime = Runtime.getRuntime(lib);
    this.fd = lib.fuse_chan_fd(ch);
    this.hook = this::send;
  }

  /** Hooks the {@code INIT} reply of channel {@code ch} before the session serves requests. */
  static InitReplyPatch install(FuseLoop.Lib lib, Pointer ch, int maxPages) {
    InitReplyPatch p = new InitReplyPatch(lib, ch, maxPages);
    p.hookPointer = p.runtime.getClosureManager().getClosurePointer(Send.class, p.hook);
    ch.putPointer(SEND_OFFSET, p.hookPointer);
    return p;
  }

  /** Puts libfuse's own {@code send} back (a no-op once the hook has run). */
  void release() {
    ch.putPointer(SEND_OFFSET, original);
  }

  private int send(Pointer chan, Pointer iov, long count) {
    // The first reply of a session answers INIT; restore libfuse's send whatever happens.
    ch.putPointer(SEND_OFFSET, original);
    int addr = runtime.addressSize();
    Pointer out = iov;
    if (count == 2
        && iov.getLong(addr) == OUT_HEADER
        && iov.getLong(2L * addr + addr) == LIBFUSE_INIT_OUT
        && iov.getPointer(0).getInt(4) == 0) {
      Pointer header = Memory.allocateDirect(runtime, OUT_HEADER, true);
      Pointer init = Memory.allocateDirect(runtime, INIT_OUT, true);
      byte[] tmp = new byte[LIBFUSE_INIT_OUT];
      iov.getPointer(0).get(0, tmp, 0, OUT_HEADER);
      header.put(0, tmp, 0, OUT_HEADER);
      header.putInt(0, OUT_HEADER + INIT_OUT);
      iov.getPointer(2L * addr).get(0, tmp, 0, LIBFUSE_INIT_OUT);
      init.put(0, tmp, 0, LIBFUSE_INIT_OUT);
      init.putInt(FLAGS_OFFSET, init.getInt(FLAGS_OFFSET) | FUSE_MAX_PAGES);
      init.putShort(MAX_PAGES_OFFSET, (short) maxPages);
      init.putInt(MAX_WRITE_OFFSET, maxPages * PAGE);
      out = Memory.allocateDirect(runtime, 4L * addr, true);
      out.putPointer(0, header);
      out.putLong(addr, OUT_HEADER);
      out.putPointer(2L * addr, init);
      out.putLong(3L * addr, INIT_OUT);
      long n = lib.writev(fd, out, 2);
      return n < 0 ? -LastError.getLastError(runtime) : 0;
    }
    long n = lib.writev(fd, out, (int) count);
    return n < 0 ? -LastError.getLastError(runtime) : 0;
  }
}
