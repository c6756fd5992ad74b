package io.ordo.gateway.rest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * How the responses of a server-streaming method are framed on the wire.
 *
 * <ul>
 *   <li>{@link #NDJSON} ({@code application/x-ndjson}, the default): one JSON message per line;
 *       an error is a last line {@code {"error":{...}}}; a keepalive is an empty line.
 *   <li>{@link #SSE} ({@code text/event-stream}): one event {@code data: <json>} per message; an
 *       error is a last event {@code event: error} with {@code data: {"error":{...}}}; a
 *       keepalive is the comment line {@code : keepalive}.
 * </ul>
 *
 * <p>Messages are printed without insignificant whitespace, so a message never contains a line
 * break and fits one NDJSON line or one SSE {@code data:} line.
 */
public enum StreamFormat {
  NDJSON("application/x-ndjson"),
  SSE("text/event-stream");

  private final String mediaType;

  StreamFormat(String mediaType) {
    this.mediaType = mediaType;
  }

  /** The media type, as sent in {@code Content-Type}. */
  public String mediaType() {
    return mediaType;
  }

  /**
   * Picks the format from the request's {@code Accept} header values: {@link #SSE} when {@code
   * text/event-stream} is accepted with a higher quality than {@code application/x-ndjson} (an
   * absent type has quality 0), else {@link #NDJSON}. Wildcards do not select SSE: a browser's
   * {@code EventSource} names it explicitly.
   *
   * @param acceptHeaders the values of every {@code Accept} header, or null if there is none
   */
  public static StreamFormat negotiate(List<String> acceptHeaders) {
    if (acceptHeaders == null) {
      return NDJSON;
    }
    double sse = 0;
    double ndjson = 0;
    for (String header : acceptHeaders) {
      for (String range : header.split(",")) {
        String[] parts = range.split(";");
        String type = parts[0].trim().toLowerCase(Locale.ROOT);
        double quality = 1;
        for (int i = 1; i < parts.length; i++) {
          String parameter = parts[i].trim();
          if (parameter.length() > 2 && parameter.substring(0, 2).equalsIgnoreCase("q=")) {
            try {
              quality = Double.parseDouble(parameter.substring(2).trim());
            } catch (NumberFormatException e) {
              quality = 0; // a malformed weight accepts nothing rather than guessing
            }
          }
        }
        if (type.equals(SSE.mediaType)) {
          sse = Math.max(sse, quality);
        } else if (type.equals(NDJSON.mediaType)) {
          ndjson = Math.max(ndjson, quality);
        }
      }
    }
    return sse > 0 && sse > ndjson ? SSE : NDJSON;
  }

  /** The bytes that carry one message printed as compact JSON. */
  byte[] message(String json) {
    return (this == SSE ? "data: " + json + "\n\n" : json + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The bytes that carry the final error object, compact JSON. */
  byte[] error(String json) {
    return (this == SSE ? "event: error\ndata: " + json + "\n\n" : json + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Bytes that carry nothing; written on an idle stream to find out whether the client left. */
  byte[] keepAlive() {
    return (this == SSE ? ": keepalive\n\n" : "\n").getBytes(StandardCharsets.UTF_8);
  }
}
