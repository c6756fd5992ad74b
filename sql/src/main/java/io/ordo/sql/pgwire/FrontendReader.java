package io.ordo.sql.pgwire;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads frontend messages from a blocking stream (PostgreSQL protocol §55.7): the untyped
 * startup packet, then typed messages (one type byte, an int32 length that counts itself, the
 * body). Every length is checked before anything is allocated: startup packets up to {@link
 * #MAX_STARTUP_LENGTH} bytes (PostgreSQL's own limit), other messages up to {@link
 * #MAX_MESSAGE_LENGTH}, and a body's buffer grows with the bytes that arrive, so a length field
 * that claims more than the client sends allocates nothing extra. Not thread-safe.
 */
final class FrontendReader {
  /** PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
  static final int MAX_STARTUP_LENGTH = 10_000;
  /** The longest message accepted, length field included: 64 MiB. */
  static final int MAX_MESSAGE_LENGTH = 64 << 20;

  static final int CANCEL_REQUEST_CODE = 80877102;
  static final int SSL_REQUEST_CODE = 80877103;
  static final int GSSENC_REQUEST_CODE = 80877104;
  /** Startup parameters beyond this many are refused (a startup packet is small). */
  static final int MAX_STARTUP_PARAMETERS = 64;

  private final DataInputStream in;
  private final int maxMessageLength;

  FrontendReader(InputStream in) {
    this(in, MAX_MESSAGE_LENGTH);
  }

  FrontendReader(InputStream in, int maxMessageLength) {
    this.in = in instanceof DataInputStream ? (DataInputStream) in : new DataInputStream(in);
    this.maxMessageLength = maxMessageLength;
  }

  /**
   * The first packet of a connection (or the next one after an SSL/GSS refusal): StartupMessage,
   * SSLRequest, GSSENCRequest or CancelRequest; null when the client closed before sending any
   * byte.
   */
  FrontendMessage readStartup() throws IOException, PgProtocolException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    int length = (first << 24) | readInt24();
    if (length < 8 || length > MAX_STARTUP_LENGTH) {
      throw new PgProtocolException("invalid length of startup packet");
    }
    Body body = new Body(readBody(length - 4));
    int code = body.int32();
    switch (code) {
      case CANCEL_REQUEST_CODE: {
        FrontendMessage m = new FrontendMessage.CancelRequest(body.int32(), body.int32());
        body.end();
        return m;
      }
      case SSL_REQUEST_CODE:
        body.end();
        return new FrontendMessage.SslRequest();
      case GSSENC_REQUEST_CODE:
        body.end();
        return new FrontendMessage.GssEncRequest();
      default:
        break;
    }
    Map<String, String> params = new LinkedHashMap<>();
    while (true) {
      String name = body.cstring();
      if (name.isEmpty()) {
        break;
      }
      if (params.size() >= MAX_STARTUP_PARAMETERS) {
        throw new PgProtocolException("too many startup parameters");
      }
      params.put(name, body.cstring());
    }
    body.end();
    return new FrontendMessage.Startup(
        code >>> 16, code & 0xFFFF, Collections.unmodifiableMap(params));
  }

  private int readInt24() throws IOException {
    return (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
  }

  /**
   * The next {@code length} bytes. The buffer grows with the bytes that arrive (readNBytes reads
   * in chunks) instead of being allocated from the length field: a length that lies costs the
   * server nothing until the client really sends that much.
   *
   * @throws EOFException when the connection ends first
   */
  private byte[] readBody(int length) throws IOException {
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException(
          "connection ended after " + body.length + " of " + length + " bytes of a message");
    }
    return body;
  }

  /** The longest SASL message accepted during authentication, length field included. */
  static final int MAX_SASL_LENGTH = 4_096;

  /**
   * The body of the next message during authentication, which must be a PasswordMessage-family
   * message ('p': SASLInitialResponse, SASLResponse) of at most {@link #MAX_SASL_LENGTH} bytes.
   *
   * @throws PgProtocolException for another type or a bad length
   * @throws EOFException when the connection ends first
   */
  byte[] readPasswordMessage() throws IOException, PgProtocolException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("the client closed the connection during authentication");
    }
    if (type != 'p') {
      throw new PgProtocolException(
          "expected a SASL response message during authentication, got type " + type);
    }
    int length = in.readInt();
    if (length < 4 || length > MAX_SASL_LENGTH) {
      throw new PgProtocolException("invalid SASL message length " + length);
    }
    return readBody(length - 4);
  }

  /**
   * A SASLInitialResponse body: the mechanism name and the initial client response (empty when
   * the client sent none, length -1).
   */
  static SaslInitial parseSaslInitial(byte[] body) throws PgProtocolException {
    Body b = new Body(body);
    String mechanism = b.cstring();
    int n = b.int32();
    byte[] data = n == -1 ? new byte[0] : b.bytes(checkedLength(n));
    b.end();
    return new SaslInitial(mechanism, data);
  }

  private static int checkedLength(int n) throws PgProtocolException {
    if (n < 0) {
      throw new PgProtocolException("invalid SASL data length " + n);
    }
    return n;
  }

  /** A parsed SASLInitialResponse. */
  record SaslInitial(String mechanism, byte[] data) {}

  /**
   * The next typed message, or null when the client closed the connection between messages.
   *
   * @throws PgProtocolException for an unknown type, a bad length or a malformed body
   * @throws EOFException when the connection ends inside a message
   */
  FrontendMessage readMessage() throws IOException, PgProtocolException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    int length = in.readInt();
    if (length < 4 || length > maxMessageLength) {
      throw new PgProtocolException(
          "invalid message length " + length + " (limit " + maxMessageLength + " bytes)");
    }
    if (!known(type)) {
      throw new PgProtocolException("invalid frontend message type " + type);
    }
    Body b = new Body(readBody(length - 4));
    FrontendMessage m;
    switch (type) {
      case 'Q':
        m = new FrontendMessage.Query(b.cstring());
        break;
      case 'P': {
        String name = b.cstring();
        String query = b.cstring();
        int n = b.uint16();
        List<Integer> oids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          oids.add(b.int32());
        }
        m = new FrontendMessage.Parse(name, query, Collections.unmodifiableList(oids));
        break;
      }
      case 'B': {
        String portal = b.cstring();
        String statement = b.cstring();
        List<Short> paramFormats = b.formatCodes();
        int n = b.uint16();
        List<byte[]> params = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int len = b.int32();
          if (len < -1) {
            throw new PgProtocolException("invalid parameter length " + len);
          }
          params.add(len == -1 ? null : b.bytes(len));
        }
        List<Short> resultFormats = b.formatCodes();
        m = new FrontendMessage.Bind(
            portal, statement, paramFormats, Collections.unmodifiableList(params), resultFormats);
        break;
      }
      case 'D':
        m = new FrontendMessage.Describe(b.kind(), b.cstring());
        break;
      case 'E':
        m = new FrontendMessage.Execute(b.cstring(), b.int32());
        break;
      case 'C':
        m = new FrontendMessage.Close(b.kind(), b.cstring());
        break;
      case 'S':
        m = new FrontendMessage.Sync();
        break;
      case 'H':
        m = new FrontendMessage.Flush();
        break;
      case 'X':
        m = new FrontendMessage.Terminate();
        break;
      default:
        // FunctionCall and COPY data: well-formed but not implemented; the body is skipped.
        return new FrontendMessage.Unsupported((char) type);
    }
    b.end();
    return m;
  }

  private static boolean known(int type) {
    return "QPBDECSHXFdcf".indexOf(type) >= 0;
  }

  /** A cursor over one message body; running past its end is a protocol violation. */
  private static final class Body {
    private final byte[] bytes;
    private int pos;

    Body(byte[] bytes) {
      this.bytes = bytes;
    }

    private void need(int n) throws PgProtocolException {
      if (bytes.length - pos < n) {
        throw new PgProtocolException("insufficient data left in message");
      }
    }

    int int32() throws PgProtocolException {
      need(4);
      int v = ((bytes[pos] & 0xFF) << 24) | ((bytes[pos + 1] & 0xFF) << 16)
          | ((bytes[pos + 2] & 0xFF) << 8) | (bytes[pos + 3] & 0xFF);
      pos += 4;
      return v;
    }

    int uint16() throws PgProtocolException {
      need(2);
      int v = ((bytes[pos] & 0xFF) << 8) | (bytes[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    char kind() throws PgProtocolException {
      need(1);
      char k = (char) (bytes[pos++] & 0xFF);
      if (k != 'S' && k != 'P') {
        throw new PgProtocolException("invalid DESCRIBE/CLOSE message subtype " + (int) k);
      }
      return k;
    }

    byte[] bytes(int n) throws PgProtocolException {
      need(n);
      byte[] out = new byte[n];
      System.arraycopy(bytes, pos, out, 0, n);
      pos += n;
      return out;
    }

    List<Short> formatCodes() throws PgProtocolException {
      int n = uint16();
      List<Short> codes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        codes.add((short) uint16());
      }
      return Collections.unmodifiableList(codes);
    }

    String cstring() throws PgProtocolException {
      int end = pos;
      while (end < bytes.length && bytes[end] != 0) {
        end++;
      }
      if (end == bytes.length) {
        throw new PgProtocolException("invalid string in message");
      }
      String s;
      try {
        s = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(java.nio.ByteBuffer.wrap(bytes, pos, end - pos))
            .toString();
      } catch (CharacterCodingException e) {
        throw new PgProtocolException("invalid UTF-8 in a message string");
      }
      pos = end + 1;
      return s;
    }

    void end() throws PgProtocolException {
      if (pos != bytes.length) {
        throw new PgProtocolException("invalid message format");
      }
    }
  }
}
