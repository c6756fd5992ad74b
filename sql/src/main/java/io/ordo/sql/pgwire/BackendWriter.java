package io.ordo.sql.pgwire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes backend (server to client) messages of PostgreSQL's protocol 3.0 (§55.7): a type byte,
 * an int32 length counting itself and the body, integers big-endian, strings UTF-8 with a NUL
 * terminator. Output is buffered by the caller's stream; nothing reaches the client before
 * {@link #flush}. Not thread-safe.
 */
final class BackendWriter {
  /** One column of a RowDescription. */
  record Field(
      String name, int tableOid, short columnNumber, int typeOid, short typeSize, int typeModifier,
      short format) {}

  private final OutputStream out;
  private Message m = new Message();

  BackendWriter(OutputStream out) {
    this.out = out;
  }

  /** A growable body buffer with the protocol's integer and string encodings. */
  private static final class Message extends ByteArrayOutputStream {
    Message() {
      super(256);
    }

    Message int8(int v) {
      write(v);
      return this;
    }

    Message int16(int v) {
      write(v >>> 8);
      write(v);
      return this;
    }

    Message int32(int v) {
      write(v >>> 24);
      write(v >>> 16);
      write(v >>> 8);
      write(v);
      return this;
    }

    Message cstring(String s) {
      writeBytes(s.getBytes(StandardCharsets.UTF_8));
      write(0);
      return this;
    }
  }

  private Message begin() {
    m.reset();
    return m;
  }

  private void send(char type) throws IOException {
    int length = m.size() + 4;
    out.write(type);
    out.write(length >>> 24);
    out.write(length >>> 16);
    out.write(length >>> 8);
    out.write(length);
    m.writeTo(out);
    if (m.size() > 1 << 20) {
      m = new Message(); // do not keep a large row's buffer for the connection's life
    }
  }

  /** The single byte 'N' refusing an SSLRequest or GSSENCRequest (not a typed message). */
  void refuseEncryption() throws IOException {
    out.write('N');
  }

  /** The single byte 'S' accepting an SSLRequest: the TLS handshake follows. */
  void acceptEncryption() throws IOException {
    out.write('S');
  }

  /** AuthenticationSASL: 'R', int32 10, the mechanism names, an empty name. */
  void authenticationSasl(List<String> mechanisms) throws IOException {
    Message b = begin().int32(10);
    for (String mechanism : mechanisms) {
      b.cstring(mechanism);
    }
    b.int8(0);
    send('R');
  }

  /** AuthenticationSASLContinue: 'R', int32 11, the mechanism's data. */
  void authenticationSaslContinue(byte[] data) throws IOException {
    begin().int32(11).writeBytes(data);
    send('R');
  }

  /** AuthenticationSASLFinal: 'R', int32 12, the mechanism's final data. */
  void authenticationSaslFinal(byte[] data) throws IOException {
    begin().int32(12).writeBytes(data);
    send('R');
  }

  /** AuthenticationOk: 'R', int32 0. */
  void authenticationOk() throws IOException {
    begin().int32(0);
    send('R');
  }

  /** ParameterStatus: 'S', name, value. */
  void parameterStatus(String name, String value) throws IOException {
    begin().cstring(name).cstring(value);
    send('S');
  }

  /** BackendKeyData: 'K', int32 process id, int32 secret key. */
  void backendKeyData(int processId, int secretKey) throws IOException {
    begin().int32(processId).int32(secretKey);
    send('K');
  }

  /**
   * NegotiateProtocolVersion: 'v', the newest minor version supported, the count and names of
   * the protocol options ({@code _pq_.*}) not recognized.
   */
  void negotiateProtocolVersion(int newestMinor, List<String> unrecognized) throws IOException {
    Message b = begin().int32(newestMinor).int32(unrecognized.size());
    for (String option : unrecognized) {
      b.cstring(option);
    }
    send('v');
  }

  /** ReadyForQuery: 'Z', the transaction status byte 'I', 'T' or 'E'. */
  void readyForQuery(char status) throws IOException {
    begin().int8(status);
    send('Z');
  }

  /** RowDescription: 'T', int16 field count, then per field the {@link Field} members. */
  void rowDescription(List<Field> fields) throws IOException {
    Message b = begin().int16(fields.size());
    for (Field f : fields) {
      b.cstring(f.name()).int32(f.tableOid()).int16(f.columnNumber()).int32(f.typeOid())
          .int16(f.typeSize()).int32(f.typeModifier()).int16(f.format());
    }
    send('T');
  }

  /** DataRow: 'D', int16 column count, per column int32 length (-1 = NULL) and the bytes. */
  void dataRow(List<byte[]> values) throws IOException {
    Message b = begin().int16(values.size());
    for (byte[] v : values) {
      if (v == null) {
        b.int32(-1);
      } else {
        b.int32(v.length);
        b.writeBytes(v);
      }
    }
    send('D');
  }

  /** CommandComplete: 'C', the command tag. */
  void commandComplete(String tag) throws IOException {
    begin().cstring(tag);
    send('C');
  }

  /** EmptyQueryResponse: 'I', no body. */
  void emptyQueryResponse() throws IOException {
    begin();
    send('I');
  }

  /**
   * ErrorResponse: 'E', then fields (type byte, string) S and V (severity, localized and not),
   * C (SQLSTATE), M (message), P (1-based character position, only when &gt; 0), and a 0 byte
   * (§55.8).
   */
  void errorResponse(String severity, String sqlState, String message, int position)
      throws IOException {
    Message b = begin();
    b.int8('S').cstring(severity);
    b.int8('V').cstring(severity);
    b.int8('C').cstring(sqlState);
    b.int8('M').cstring(message);
    if (position > 0) {
      b.int8('P').cstring(Integer.toString(position));
    }
    b.int8(0);
    send('E');
  }

  /** ParseComplete: '1'. */
  void parseComplete() throws IOException {
    begin();
    send('1');
  }

  /** BindComplete: '2'. */
  void bindComplete() throws IOException {
    begin();
    send('2');
  }

  /** CloseComplete: '3'. */
  void closeComplete() throws IOException {
    begin();
    send('3');
  }

  /** NoData: 'n'. */
  void noData() throws IOException {
    begin();
    send('n');
  }

  /** PortalSuspended: 's'. */
  void portalSuspended() throws IOException {
    begin();
    send('s');
  }

  /** ParameterDescription: 't', int16 count, int32 type OID per parameter. */
  void parameterDescription(List<Integer> typeOids) throws IOException {
    Message b = begin().int16(typeOids.size());
    for (int oid : typeOids) {
      b.int32(oid);
    }
    send('t');
  }

  void flush() throws IOException {
    out.flush();
  }
}
