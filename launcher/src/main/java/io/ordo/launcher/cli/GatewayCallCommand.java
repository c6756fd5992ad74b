package io.ordo.launcher.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.ordo.gateway.GatewayConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that call the gateway over gRPC ({@code ordo stream ...}, {@code ordo sub
 * ...}): the {@code --gateway}, {@code --timeout} and {@code --output} options, one channel per
 * run, and the mapping of gRPC errors to one stderr line and an exit code.
 *
 * <p>A failed call prints {@code ordo <command>: error: <STATUS>: <description>} on stderr and
 * exits with {@value OrdoCli#EXIT_USAGE} for INVALID_ARGUMENT (the gateway rejected the input, as
 * the command line itself would) or {@value OrdoCli#EXIT_FAILURE} for every other status.
 *
 * <p>The command's group (its picocli parent) must implement {@link ClientIo.Holder}; it
 * supplies the channel factory and stdin.
 */
abstract class GatewayCallCommand implements Callable<Integer> {
  /** The default {@code --gateway}: the gateway's default gRPC port on loopback. */
  static final String DEFAULT_GATEWAY =
      GatewayConfig.DEFAULT_BIND_ADDRESS + ":" + GatewayConfig.DEFAULT_GRPC_PORT;

  /** {@code host:port}, {@code [ipv6]:port}; the port is checked for its range separately. */
  private static final Pattern TARGET = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\]/]+):(\\d{1,5})");

  /**
   * Protobuf JSON on one line. Unlike the REST/JSON API it prints fields that hold their default
   * value too (shard id 0, an empty list), so that scripts such as {@code jq .id} find every
   * field; both forms parse back with JsonFormat.
   */
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace().alwaysPrintFieldsWithNoPresence();

  /** How results are printed. */
  enum OutputFormat {
    /** Tables and lines for people. */
    text,
    /** The response messages as protobuf JSON, one document per line. */
    json
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--gateway",
      paramLabel = "HOST:PORT",
      description = "gRPC address of the gateway.")
  String gateway = DEFAULT_GATEWAY;

  @Mixin ClientSecurityOptions clientSecurity = new ClientSecurityOptions();

  @Option(
      names = "--timeout",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long to wait for the gateway: the deadline of each call (0 = none);"
          + " reads and fetches say how it applies to them.")
  Duration timeout;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "text|json",
      description = "text: tables and lines; json: the response messages as JSON, one per line.")
  OutputFormat output = OutputFormat.text;

  /**
   * Checks the options that picocli cannot check alone.
   *
   * @throws ParameterException naming the bad option (a usage error)
   */
  void validate() {}

  /**
   * Runs the command's calls on {@code channel}; gRPC errors may propagate as {@link
   * StatusRuntimeException}.
   *
   * @return the exit code
   */
  abstract int run(ManagedChannel channel) throws Exception;

  /** True when the response messages are printed as JSON. */
  boolean json() {
    return output == OutputFormat.json;
  }

  @Override
  public final Integer call() throws Exception {
    String target = checkedTarget(gateway);
    validate();
    ManagedChannel channel = clientIo().channels().open(target, clientSecurity);
    try {
      return run(channel);
    } catch (StatusRuntimeException e) {
      return reportError(e.getStatus());
    } finally {
      out().flush();
      channel.shutdownNow();
      // Bounded: the channel is already shut down; this only waits for its threads to stop.
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The target for the channel: {@code gateway} if it is {@code host:port} with a valid port. */
  private String checkedTarget(String target) {
    return checkedTarget(spec.commandLine(), "--gateway", target);
  }

  /**
   * {@code target} if it is {@code host:port} (or {@code [ipv6]:port}) with a port in [1, 65535].
   *
   * @throws ParameterException naming {@code option} otherwise (a usage error)
   */
  static String checkedTarget(picocli.CommandLine commandLine, String option, String target) {
    var m = TARGET.matcher(target == null ? "" : target.trim());
    if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65_535) {
      throw new ParameterException(
          commandLine, option + " must be HOST:PORT with a port in [1, 65535], got '" + target + "'");
    }
    return m.group(0);
  }

  /** The channel factory and stdin of this command's group. */
  ClientIo clientIo() {
    Object group = spec.parent() == null ? null : spec.parent().userObject();
    if (group instanceof ClientIo.Holder holder) {
      return holder.clientIo();
    }
    // Only reachable when the command is used outside its group (a programming error).
    throw new IllegalStateException(spec.qualifiedName() + " must be a subcommand of a ClientIo.Holder");
  }

  /** {@code stub} with this command's deadline, or without one when {@code --timeout 0}. */
  <S extends AbstractStub<S>> S withDeadline(S stub) {
    return timeout.isZero() ? stub : stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Prints {@code message} as one line of protobuf JSON. */
  void printJson(MessageOrBuilder message) {
    try {
      out().println(JSON.print(message));
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail to print, and these messages have none.
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Prints a note for people on stderr, prefixed with the command's name. */
  void note(String text) {
    err().println(spec.qualifiedName() + ": " + text);
    err().flush();
  }

  /** Prints the error line for {@code status} and returns its exit code (see the class comment). */
  int reportError(Status status) {
    err().println(
        spec.commandLine().getColorScheme().errorText(spec.qualifiedName() + ": error: " + describe(status)));
    err().flush();
    return status.getCode() == Status.Code.INVALID_ARGUMENT ? OrdoCli.EXIT_USAGE : OrdoCli.EXIT_FAILURE;
  }

  /**
   * {@code <CODE>: <description>}, followed by the cause's messages when there is a cause (such as
   * the connection error under UNAVAILABLE), which is where a client-side failure says what went
   * wrong.
   */
  static String describe(Status status) {
    StringBuilder sb = new StringBuilder(status.getCode().name());
    String description = status.getDescription();
    if (description != null && !description.isEmpty()) {
      sb.append(": ").append(description);
    }
    if (status.getCause() != null) {
      String cause = OrdoCli.describe(status.getCause());
      if (description == null || !description.contains(cause)) {
        sb.append(": ").append(cause);
      }
    }
    return sb.toString();
  }

  /**
   * Base of the commands whose {@code --json} flag is a shorthand for {@code --output json} (all
   * but {@code stream append}, where {@code --json} says what the payloads are).
   */
  abstract static class WithJsonFlag extends GatewayCallCommand {
    @Option(names = "--json", description = "Same as --output json.")
    boolean jsonFlag;

    @Override
    boolean json() {
      return jsonFlag || super.json();
    }
  }
}
