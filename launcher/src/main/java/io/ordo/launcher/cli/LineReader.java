package io.ordo.launcher.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads lines of bytes from a stream (stdin of {@code ordo stream append NAME -}), each at most
 * {@code lineBytesMax} bytes, so that one endless line cannot exhaust memory. A line ends at
 * {@code \n}; a {@code \r} before it is dropped too, so files with CRLF line ends give the same
 * records. The last line needs no terminator. Lines are bytes, not text: a raw payload is kept
 * exactly as given.
 */
final class LineReader {
  private final InputStream in;
  private final int lineBytesMax;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private long lineNumber;

  /**
   * @param in the stream, read through a buffer of this reader's
   * @param lineBytesMax the longest line accepted, in bytes (without its terminator), positive
   */
  LineReader(InputStream in, int lineBytesMax) {
    if (lineBytesMax <= 0) {
      throw new IllegalArgumentException("lineBytesMax must be positive, got " + lineBytesMax);
    }
    this.in = new BufferedInputStream(in, 64 << 10);
    this.lineBytesMax = lineBytesMax;
  }

  /**
   * The next line without its terminator, or null at the end of the stream.
   *
   * @throws IllegalArgumentException if the line is longer than {@code lineBytesMax} bytes (the
   *     message names the line's number, counting from 1)
   */
  byte[] next() throws IOException {
    line.reset();
    boolean any = false;
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (!any) {
          return null;
        }
        break;
      }
      any = true;
      if (b == '\n') {
        break;
      }
      // One byte more than the bound is kept: it may be a '\r' that precedes the '\n'.
      if (line.size() > lineBytesMax) {
        throw new IllegalArgumentException(
            "line " + (lineNumber + 1) + " of stdin is longer than " + lineBytesMax + " bytes");
      }
      line.write(b);
    }
    lineNumber++;
    byte[] bytes = line.toByteArray();
    int length = bytes.length;
    if (length > 0 && bytes[length - 1] == '\r') {
      length--;
    }
    if (length > lineBytesMax) {
      throw new IllegalArgumentException(
          "line " + lineNumber + " of stdin is longer than " + lineBytesMax + " bytes");
    }
    return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
  }

  /** Number of lines returned so far. */
  long lineNumber() {
    return lineNumber;
  }
}
