package io.ordo.sql.pgwire;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bare protocol 3.0 client for tests: writes frontend messages built field by field and reads
 * backend messages as (type, body). Every read has a socket timeout.
 */
final class RawClient implements AutoCloseable {
  /** One backend message. */
  record Msg(char type, byte[] body) {
    ByteBuffer buffer() {
      return ByteBuffer.wrap(body);
    }

    /** The fields of an ErrorResponse, by field type. */
    Map<Character, String> errorFields() {
      Map<Character, String> fields = new HashMap<>();
      int i = 0;
      while (body[i] != 0) {
        char t = (char) body[i++];
        int end = i;
        while (body[end] != 0) {
          end++;
        }
        fields.put(t, new String(body, i, end - i, StandardCharsets.UTF_8));
        i = end + 1;
      }
      return fields;
    }

    /** The columns of a DataRow (null for NULL). */
    List<byte[]> columns() {
      ByteBuffer b = buffer();
      int n = b.getShort();
      List<byte[]> out = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int len = b.getInt();
        if (len < 0) {
          out.add(null);
        } else {
          byte[] v = new byte[len];
          b.get(v);
          out.add(v);
        }
      }
      return out;
    }

    String text() {
      return new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  RawClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** A message body under construction. */
  static final class Body {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    Body i8(int v) {
      b.write(v);
      return this;
    }

    Body i16(int v) {
      b.write(v >>> 8);
      b.write(v);
      return this;
    }

    Body i32(int v) {
      i16(v >>> 16);
      return i16(v);
    }

    Body str(String s) {
      b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      b.write(0);
      return this;
    }

    Body bytes(byte[] v) {
      b.writeBytes(v);
      return this;
    }

    byte[] toBytes() {
      return b.toByteArray();
    }
  }

  static Body body() {
    return new Body();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  void send(char type, Body body) throws IOException {
    byte[] b = body.toBytes();
    ByteBuffer m = ByteBuffer.allocate(5 + b.length);
    m.put((byte) type).putInt(4 + b.length).put(b);
    sendRaw(m.array());
  }

  void sendUntyped(Body body) throws IOException {
    byte[] b = body.toBytes();
    sendRaw(ByteBuffer.allocate(4 + b.length).putInt(4 + b.length).put(b).array());
  }

  /** StartupMessage with protocol major.minor and user/database. */
  void startup(int major, int minor, String user, String database) throws IOException {
    sendUntyped(body().i32((major << 16) | minor).str("user").str(user).str("database")
        .str(database).i8(0));
  }

  int readByte() throws IOException {
    return in.read();
  }

  /** The next message; EOFException when the server closed. */
  Msg read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("server closed the connection");
    }
    int len = in.readInt();
    byte[] body = new byte[len - 4];
    in.readFully(body);
    return new Msg((char) type, body);
  }

  /** Messages up to and including the next ReadyForQuery. */
  List<Msg> untilReady() throws IOException {
    List<Msg> msgs = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      Msg m = read();
      msgs.add(m);
      if (m.type() == 'Z') {
        return msgs;
      }
    }
    throw new IllegalStateException("no ReadyForQuery in 10000 messages");
  }

  /** The message types of {@code msgs} as a string, e.g. "TDCZ". */
  static String types(List<Msg> msgs) {
    StringBuilder sb = new StringBuilder();
    for (Msg m : msgs) {
      sb.append(m.type());
    }
    return sb.toString();
  }

  /** True when the server closed the connection (read returns EOF within the timeout). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true; // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
