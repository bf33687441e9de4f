package dev.cairn.cli;

import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for long work, drawn on stderr only when stderr is a terminal (whatever stdout is:
 * a report redirected to a file still shows its progress); otherwise a no-op. Thread-safe for
 * {@link #accept} (the bar library synchronizes).
 */
final class Progress implements LongConsumer, AutoCloseable {
  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** Starts a bar over {@code totalBytes} if stderr is a terminal and {@code quiet} is false. */
  static Progress start(String task, long totalBytes, boolean quiet) {
    if (quiet || !Terminal.isTerminal(Terminal.STDERR)) {
      return new Progress(null);
    }
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(Math.max(1, totalBytes))
            .setUnit(" MiB", 1 << 20)
            .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
            .setUpdateIntervalMillis(200)
            .showSpeed()
            .continuousUpdate()
            .build();
    return new Progress(bar);
  }

  @Override
  public void accept(long done) {
    if (bar != null) {
      bar.stepTo(done);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
