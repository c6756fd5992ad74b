package io.ordo.sql.pgcatalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A statement text captured from a real client, stored as a test resource under {@code
 * pgcatalog/}: header lines starting with {@code "-- "} name the tool, version and command (and,
 * for texts that embed the table's oid, {@code -- oid: N}); the rest is the text exactly as sent.
 */
record ClientQuery(String resource, String header, String text, long embeddedOid) {
  static ClientQuery load(String resource) {
    String path = "/pgcatalog/" + resource + ".sql";
    try (InputStream in = ClientQuery.class.getResourceAsStream(path)) {
      Objects.requireNonNull(in, path);
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      StringBuilder header = new StringBuilder();
      long oid = -1;
      int at = 0;
      while (all.startsWith("-- ", at)) {
        int eol = all.indexOf('\n', at);
        String line = all.substring(at, eol);
        header.append(line).append('\n');
        if (line.startsWith("-- oid: ")) {
          oid = Long.parseLong(line.substring(8).split(" ")[0]);
        }
        at = eol + 1;
      }
      return new ClientQuery(resource, header.toString(), all.substring(at), oid);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the embedded oid is the primary key index's (else the table's). */
  boolean embedsIndexOid() {
    return header.contains("index accounts_pkey's oid");
  }

  /** The text with the embedded oid replaced by {@code oid} (as psql would send it for it). */
  String withOid(long oid) {
    if (embeddedOid < 0) {
      throw new IllegalStateException(resource + " embeds no oid");
    }
    return text.replace("'" + embeddedOid + "'", "'" + oid + "'");
  }
}
