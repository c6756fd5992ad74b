package io.ordo.gateway.rest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server-streaming call relayed to one HTTP exchange: runs on a thread of the REST server's
 * stream pool for the whole life of the stream, never on an HTTP handler thread.
 *
 * <p>Flow control: one message is requested from the call at a time and the next only after the
 * previous one was written and flushed to the client, so a slow client slows the gRPC stream
 * down instead of filling a buffer; the queue between the call's listener and this thread holds
 * at most that one message and the close.
 *
 * <p>Headers: the {@code 200} and the format's {@code Content-Type} are sent with the first
 * message or keepalive; a call that fails before that gets an ordinary error response (the HTTP
 * status of its gRPC code and {@code {"code":..,"message":..}}). After the headers, an error is
 * the format's final error frame {@code {"error":{"code":<HTTP status>,"status":"<gRPC
 * code>","message":"..."}}}.
 *
 * <p>Disconnects: the JDK server reports a closed connection only when a write fails, so an idle
 * stream writes a keepalive every {@code keepAliveMs}; a failed write cancels the gRPC call.
 */
final class ServerStream implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerStream.class);
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  /** The call ended; {@code status} is how. */
  private record Closed(Status status) {}

  /** {@link #cancel} asks the stream thread to cancel the call. */
  private static final Object CANCEL = new Object();

  private final HttpExchange exchange;
  private final StreamFormat format;
  private final ClientCall<Message, Message> call;
  private final Message request;
  private final long keepAliveMs;
  private final Consumer<ServerStream> onDone;
  // One requested message, the close and a CANCEL fit; the slack only guards the invariant.
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>(4);

  private boolean started; // guarded by this
  private Status cancelledAs; // guarded by this; what to report when we cancelled the call
  private OutputStream body; // only the stream thread touches the exchange

  /**
   * @param call a new call, not started; this stream starts it
   * @param keepAliveMs longest silence on the wire, in milliseconds (> 0)
   * @param onDone runs once when the exchange is closed, on the stream thread
   */
  ServerStream(
      HttpExchange exchange,
      StreamFormat format,
      ClientCall<Message, Message> call,
      Message request,
      long keepAliveMs,
      Consumer<ServerStream> onDone) {
    this.exchange = exchange;
    this.format = format;
    this.call = call;
    this.request = request;
    this.keepAliveMs = keepAliveMs;
    this.onDone = onDone;
  }

  /**
   * Ends the stream from outside (the server is stopping): the stream thread cancels the call
   * (only that thread drives it) and the client gets {@code reported} as the final error, or as
   * the response if nothing was sent yet. Any thread.
   */
  void cancel(Status reported) {
    synchronized (this) {
      if (cancelledAs != null) {
        return;
      }
      cancelledAs = reported;
      if (!started) {
        return; // run() sees cancelledAs and never starts the call
      }
    }
    if (!events.offer(CANCEL)) {
      // Cannot happen within the queue's bound; the thread is interrupted on pool shutdown anyway.
      LOG.warn("could not queue the cancel of the stream to {}", exchange.getRemoteAddress());
    }
  }

  @Override
  public void run() {
    try {
      synchronized (this) {
        if (cancelledAs != null) {
          finish(cancelledAs);
          return;
        }
        started = true;
        call.start(new Listener(), new Metadata());
      }
      call.sendMessage(request);
      call.halfClose();
      call.request(1);
      relay();
    } catch (IOException e) {
      // The client closed the connection (or it broke): nobody is reading, stop the call.
      LOG.debug("stream {} to {} ended by the client: {}", call, exchange.getRemoteAddress(), e.toString());
      call.cancel("the HTTP client closed the connection", null);
    } catch (InterruptedException e) {
      call.cancel("the REST server is stopping", null);
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("stream to {} failed", exchange.getRemoteAddress(), e);
      call.cancel("the REST stream failed", e);
    } finally {
      exchange.close();
      onDone.accept(this);
    }
  }

  private void relay() throws IOException, InterruptedException {
    while (true) {
      Object event = events.poll(keepAliveMs, TimeUnit.MILLISECONDS);
      if (event == null) {
        write(format.keepAlive());
      } else if (event == CANCEL) {
        Status reported;
        synchronized (this) {
          reported = cancelledAs;
        }
        call.cancel(reported.getDescription(), null); // onClose(CANCELLED) follows
      } else if (event instanceof Message message) {
        String json;
        try {
          json = PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
          call.cancel("could not print a response", e);
          finish(Status.INTERNAL.withDescription("could not print a response: " + e.getMessage()));
          return;
        }
        write(format.message(json));
        call.request(1);
      } else {
        Status status = ((Closed) event).status();
        synchronized (this) {
          if (status.getCode() == Status.Code.CANCELLED && cancelledAs != null) {
            status = cancelledAs;
          }
        }
        finish(status);
        return;
      }
    }
  }

  /** Ends the response: OK closes the body, anything else is reported first. */
  private void finish(Status status) throws IOException {
    if (status.isOk()) {
      ensureHeaders();
      return; // exchange.close() in run() ends the chunked body
    }
    String message = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    int httpStatus = HttpStatuses.of(status.getCode());
    if (body == null) {
      RestServer.sendError(exchange, httpStatus, status.getCode().name(), message);
      return;
    }
    String json =
        "{\"error\":{\"code\":"
            + httpStatus
            + ",\"status\":\""
            + status.getCode().name()
            + "\",\"message\":"
            + RestServer.jsonString(message)
            + "}}";
    write(format.error(json));
  }

  private void write(byte[] bytes) throws IOException {
    ensureHeaders();
    body.write(bytes);
    // Per message: a client following a live stream must see each record when it is sent.
    body.flush();
  }

  private void ensureHeaders() throws IOException {
    if (body != null) {
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", format.mediaType() + "; charset=utf-8");
    // Intermediaries must neither cache nor hold back a live stream.
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0); // 0: chunked, length unknown
    body = exchange.getResponseBody();
  }

  private final class Listener extends ClientCall.Listener<Message> {
    @Override
    public void onMessage(Message message) {
      enqueue(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Closed closed = new Closed(status);
      // The close must arrive even after an overflow; messages before it may then be dropped.
      while (!events.offer(closed)) {
        events.poll();
      }
    }

    private void enqueue(Object event) {
      if (!events.offer(event)) {
        // Flow control allows one message in flight; more means a bug, not a slow client.
        call.cancel("REST stream queue overflow", null);
        LOG.error("REST stream queue overflow on {}; the call is cancelled", exchange.getRequestURI());
      }
    }
  }
}
