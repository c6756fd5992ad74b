package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ordo.executor.ExecutorConfig;
import io.ordo.executor.ExecutorJob;
import io.ordo.executor.ExecutorJobConstants;
import io.ordo.gateway.GatewayConfig;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docker/compose.yaml (and the Dockerfile, Prometheus and Grafana files next to it) against the
 * code, so that the files cannot rot while the command line changes: every gateway's command and
 * ORDO_* variables go through the real {@code ordo} parser ({@link OrdoCli#newCommandLine(Map)},
 * no execution), the job submitter's arguments through {@link ExecutorJob#fromArgs}, and ports,
 * volumes, scrape targets and image versions are checked against what those options say. No
 * Docker engine is needed; ComposeConfigTest runs docker-compose's own validation.
 */
class ComposeFileTest {
  /** ORDO_* variables the compose file may set that are not options (read before parsing). */
  static final Set<String> NON_OPTION_VARIABLES = Set.of("ORDO_LOG_FORMAT");

  /** The submit script's path in the Flink image (docker/Dockerfile). */
  static final String SUBMIT_SCRIPT = "/opt/ordo/submit-job.sh";

  /** The metric names the Grafana dashboard expects (README "Docker Compose" lists them). */
  static final List<String> DASHBOARD_METRICS = List.of(
      "ordo_txn_results_total",
      "ordo_grpc_server_requests_seconds_bucket",
      "ordo_ingest_lag_records",
      "ordo_subscription_backlog_records",
      "ordo_store_lag_records",
      "flink_taskmanager_job_task_operator_ordo_watermarkLagMs",
      "flink_jobmanager_job_lastCheckpointDuration");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static Path root;
  static Path docker;
  static JsonNode services;

  @BeforeAll
  static void load() throws IOException {
    root = repositoryRoot();
    docker = root.resolve("docker");
    services = YAML.readTree(docker.resolve("compose.yaml").toFile()).get("services");
    assertThat(services).as("services of docker/compose.yaml").isNotNull();
  }

  /** The repository root: the first directory up from the working directory with docker/compose.yaml. */
  static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docker/compose.yaml")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no docker/compose.yaml above " + Path.of("").toAbsolutePath());
  }

  // ---- reading services ----

  /** Service names whose image is built from docker/Dockerfile's {@code target}. */
  static List<String> servicesOfTarget(String target) {
    List<String> names = new ArrayList<>();
    services.properties().forEach(e -> {
      JsonNode build = e.getValue().get("build");
      if (build != null && target.equals(build.path("target").asText())) {
        names.add(e.getKey());
      }
    });
    return names;
  }

  static List<String> servicesOfImage(String imagePrefix) {
    List<String> names = new ArrayList<>();
    services.properties().forEach(e -> {
      if (e.getValue().path("image").asText().startsWith(imagePrefix)) {
        names.add(e.getKey());
      }
    });
    return names;
  }

  static JsonNode service(String name) {
    JsonNode service = services.get(name);
    assertThat(service).as("service %s", name).isNotNull();
    return service;
  }

  /** The command as a list (a string is split on blanks, as compose does without a shell). */
  static List<String> command(JsonNode service) {
    JsonNode command = service.get("command");
    List<String> args = new ArrayList<>();
    if (command == null) {
      return args;
    }
    if (command.isArray()) {
      command.forEach(a -> args.add(a.asText()));
    } else {
      args.addAll(List.of(command.asText().trim().split("\\s+")));
    }
    return args;
  }

  /** The environment, from either compose form (mapping or list of NAME=value). */
  static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode node = service.get("environment");
    if (node == null) {
      return env;
    }
    if (node.isObject()) {
      node.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    } else {
      node.forEach(item -> {
        String s = item.asText();
        int eq = s.indexOf('=');
        env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      });
    }
    return env;
  }

  /** Published ports as container port -> host port ("HOST:CONTAINER" short syntax). */
  static Map<Integer, Integer> ports(JsonNode service) {
    Map<Integer, Integer> ports = new HashMap<>();
    service.path("ports").forEach(p -> {
      String[] parts = p.asText().split(":");
      assertThat(parts).as("port %s in HOST:CONTAINER form", p.asText()).hasSize(2);
      ports.put(Integer.parseInt(parts[1]), Integer.parseInt(parts[0]));
    });
    return ports;
  }

  /** Volume mounts as container path -> source (a named volume or a ./path). */
  static Map<String, String> volumes(JsonNode service) {
    Map<String, String> volumes = new HashMap<>();
    service.path("volumes").forEach(v -> {
      String[] parts = v.asText().split(":");
      volumes.put(parts[1], parts[0]);
    });
    return volumes;
  }

  /** FLINK_PROPERTIES ("key: value" lines) of a Flink service. */
  static Map<String, String> flinkProperties(JsonNode service) {
    Map<String, String> properties = new HashMap<>();
    for (String line : environment(service).getOrDefault("FLINK_PROPERTIES", "").split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        properties.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    return properties;
  }

  static List<String> kafkaServices() {
    List<String> brokers = servicesOfImage("apache/kafka:");
    assertThat(brokers).as("Kafka brokers").isNotEmpty();
    return brokers;
  }

  /** The host:port each broker advertises on its PLAINTEXT listener (the one clients inside use). */
  static Set<String> brokerEndpoints() {
    Set<String> endpoints = new HashSet<>();
    for (String broker : kafkaServices()) {
      String advertised = environment(service(broker)).get("KAFKA_ADVERTISED_LISTENERS");
      Matcher m = Pattern.compile("PLAINTEXT://([^,]+)").matcher(advertised);
      assertThat(m.find()).as("PLAINTEXT listener of %s", broker).isTrue();
      endpoints.add(m.group(1));
    }
    return endpoints;
  }

  /** A gateway service parsed by the real command line, with its ORDO_* environment. */
  record Gateway(String service, GatewayCommand command, GatewayConfig config) {}

  static List<Gateway> gateways() {
    List<Gateway> gateways = new ArrayList<>();
    for (String name : servicesOfTarget("ordo")) {
      JsonNode service = service(name);
      Map<String, String> ordoEnvironment = new HashMap<>();
      environment(service).forEach((k, v) -> {
        if (k.startsWith(ConfigDefaults.ENV_PREFIX)) {
          ordoEnvironment.put(k, v);
        }
      });
      List<String> args = command(service);
      CommandLine.ParseResult parsed;
      try {
        parsed = OrdoCli.newCommandLine(ordoEnvironment).parseArgs(args.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        throw new AssertionError("service " + name + ": ordo " + args + " with " + ordoEnvironment
            + " does not parse: " + e.getMessage(), e);
      }
      assertThat(parsed.hasSubcommand()).as("service %s runs an ordo subcommand", name).isTrue();
      Object command = parsed.subcommand().commandSpec().userObject();
      assertThat(command).as("service %s runs `ordo gateway`", name).isInstanceOf(GatewayCommand.class);

      // Every ORDO_* variable names an option of that command (a misspelt one would be ignored).
      Set<String> known = new TreeSet<>(NON_OPTION_VARIABLES);
      for (OptionSpec option : parsed.subcommand().commandSpec().options()) {
        String longName = ConfigDefaults.longName(option);
        if (longName != null) {
          known.add(ConfigDefaults.environmentVariable(longName));
        }
      }
      assertThat(known).as("ORDO_* variables of service %s must name options of `ordo gateway`", name)
          .containsAll(ordoEnvironment.keySet());

      GatewayCommand gateway = (GatewayCommand) command;
      gateways.add(new Gateway(name, gateway, gateway.config()));
    }
    assertThat(gateways).as("gateway services (build target ordo)").hasSizeGreaterThanOrEqualTo(2);
    return gateways;
  }

  static Gateway firstGateway() {
    return gateways().get(0);
  }

  // ---- the checks ----

  @Test
  void gatewaysParseThroughTheOrdoCommandLineAndMatchTheirPortsVolumesAndBrokers() {
    Set<String> brokers = brokerEndpoints();
    int replication = Integer.parseInt(environment(service(kafkaServices().get(0))).get("KAFKA_DEFAULT_REPLICATION_FACTOR"));
    Set<Integer> hostPorts = new HashSet<>();
    for (Gateway g : gateways()) {
      GatewayConfig c = g.config();
      JsonNode service = service(g.service());
      Set<Integer> served = new HashSet<>(List.of(c.grpcPort(), c.httpPort()));
      if (c.pgPort() != GatewayConfig.NO_PG_PORT) {
        served.add(c.pgPort());
      }
      assertThat(ports(service).keySet())
          .as("container ports of %s = its --grpc-port, --http-port and --pg-port", g.service())
          .isEqualTo(served);
      for (int hostPort : ports(service).values()) {
        assertThat(hostPorts.add(hostPort)).as("host port %d published once", hostPort).isTrue();
      }
      assertThat(c.bindAddress()).as("%s listens beyond its container", g.service()).isEqualTo("0.0.0.0");
      assertThat(Set.of(c.bootstrapServers().split(","))).as("bootstrap servers of %s", g.service())
          .isEqualTo(brokers);
      assertThat((int) c.topics().replicationFactor()).as("--replication-factor of %s", g.service())
          .isEqualTo(replication).isLessThanOrEqualTo(kafkaServices().size());
      assertThat(c.dataDir()).as("--data-dir of %s", g.service()).isPresent();
      String dataDir = c.dataDir().orElseThrow().toString();
      assertThat(volumes(service).keySet()).as("%s keeps its store (%s) on a volume", g.service(), dataDir)
          .anyMatch(mount -> dataDir.startsWith(mount + "/") || dataDir.equals(mount));
      assertThat(service.path("healthcheck").path("test").toString()).as("health check of %s", g.service())
          .contains("127.0.0.1:" + c.httpPort() + "/v1/health");
      assertThat(c.topics()).as("every gateway uses the same topics").isEqualTo(firstGateway().config().topics());
    }
    Set<String> stores = new HashSet<>();
    for (Gateway g : gateways()) {
      assertThat(stores.addAll(volumes(service(g.service())).values())).as("a store volume per gateway").isTrue();
    }
  }

  @Test
  void jobSubmitterArgumentsParseThroughExecutorJobAndMatchTheClusterAndTheGateways() {
    List<String> submitters = new ArrayList<>();
    services.properties().forEach(e -> {
      if (!command(e.getValue()).isEmpty() && command(e.getValue()).get(0).equals(SUBMIT_SCRIPT)) {
        submitters.add(e.getKey());
      }
    });
    assertThat(submitters).as("services running %s", SUBMIT_SCRIPT).hasSize(1);
    JsonNode submitter = service(submitters.get(0));
    List<String> args = command(submitter).subList(1, command(submitter).size());
    ExecutorConfig job;
    try {
      job = ExecutorJob.fromArgs(args.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      throw new AssertionError("job arguments " + args + " do not parse: " + e.getMessage(), e);
    }
    GatewayConfig gateway = firstGateway().config();
    assertThat(Set.of(job.bootstrapServers().split(","))).isEqualTo(brokerEndpoints());
    assertThat(job.topics().logTopic()).isEqualTo(gateway.topics().logTopic());
    assertThat(job.topics().resultsTopic()).isEqualTo(gateway.topics().resultsTopic());
    assertThat(job.topics().changelogTopic()).isEqualTo(gateway.topics().changelogTopic());
    assertThat(job.topics().feedbackTopic()).isEqualTo(gateway.topics().feedbackTopic());
    assertThat(job.topics().logPartitions()).isEqualTo(gateway.topics().logPartitions());
    assertThat(job.stateBackend()).as("RocksDB state").isEqualTo(ExecutorConfig.StateBackend.ROCKSDB);
    for (Gateway g : gateways()) {
      assertThat(g.config().keyRangeCount())
          .as("--key-ranges of %s = the job's (SQL plans per key range)", g.service())
          .isEqualTo(job.keyRangeCount());
    }

    // The job refuses to start without its topics: the gateways create them, so the submitter
    // waits for a healthy gateway unless it lets the job create them.
    if (!args.contains("--create-topics")) {
      Set<String> healthyBefore = new HashSet<>();
      submitter.path("depends_on").properties().forEach(e -> {
        if ("service_healthy".equals(e.getValue().path("condition").asText())) {
          healthyBefore.add(e.getKey());
        }
      });
      assertThat(healthyBefore).as("the submitter waits for a healthy gateway")
          .containsAnyElementsOf(gateways().stream().map(Gateway::service).toList());
    }

    // Checkpoints: a file:// directory on one volume shared by the JobManager, the TaskManagers
    // and the submitter (which resumes from the newest one).
    assertThat(job.checkpointDir()).startsWith("file:///");
    String checkpointPath = URI.create(job.checkpointDir()).getPath();
    List<String> flinkServices = servicesOfTarget("flink");
    Set<String> checkpointVolumes = new HashSet<>();
    int slots = 0;
    for (String name : flinkServices) {
      JsonNode service = service(name);
      String volume = volumes(service).get(checkpointPath);
      assertThat(volume).as("%s mounts the checkpoint directory %s", name, checkpointPath).isNotNull();
      checkpointVolumes.add(volume);
      if (command(service).equals(List.of("taskmanager"))) {
        slots += Integer.parseInt(environment(service).getOrDefault("TASK_MANAGER_NUMBER_OF_TASK_SLOTS", "1"));
      }
      if (command(service).equals(List.of("jobmanager")) || command(service).equals(List.of("taskmanager"))) {
        Map<String, String> flink = flinkProperties(service);
        assertThat(flink).as("FLINK_PROPERTIES of %s", name)
            .containsEntry("state.backend.type", "rocksdb")
            .containsEntry("execution.checkpointing.dir", job.checkpointDir())
            .containsEntry("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
            .containsKey("metrics.reporter.prom.port");
      }
    }
    assertThat(checkpointVolumes).as("one checkpoint volume").hasSize(1);
    assertThat(slots).as("TaskManager slots for --parallelism %d", job.parallelism())
        .isGreaterThanOrEqualTo(job.parallelism());
  }

  @Test
  void kafkaBrokersFormOneKraftQuorumWithThreeReplicasAndMinIsrTwo() {
    List<String> brokers = kafkaServices();
    assertThat(brokers).hasSize(3);
    Set<String> nodeIds = new HashSet<>();
    Set<String> clusterIds = new HashSet<>();
    Set<String> voters = new HashSet<>();
    for (String broker : brokers) {
      Map<String, String> env = environment(service(broker));
      assertThat(service(broker).path("image").asText()).isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
      assertThat(env).containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
          .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
          .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
          .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3");
      nodeIds.add(env.get("KAFKA_NODE_ID"));
      clusterIds.add(env.get("CLUSTER_ID"));
      voters.add(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"));
      assertThat(env.get("KAFKA_ADVERTISED_LISTENERS")).contains("PLAINTEXT://" + broker + ":");
      assertThat(volumes(service(broker))).containsKey(env.get("KAFKA_LOG_DIRS"));
    }
    assertThat(nodeIds).hasSize(3);
    assertThat(clusterIds).hasSize(1);
    assertThat(voters).as("one quorum").hasSize(1);
    for (String broker : brokers) {
      String id = environment(service(broker)).get("KAFKA_NODE_ID");
      assertThat(voters.iterator().next()).contains(id + "@" + broker + ":9093");
    }
  }

  @Test
  void dockerfileBuildsTheImagesAndPathsComposeUses() throws IOException {
    String dockerfile = Files.readString(docker.resolve("Dockerfile"));
    Map<String, String> stages = new HashMap<>();
    Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)\\s+AS\\s+(\\S+)").matcher(dockerfile);
    while (from.find()) {
      stages.put(from.group(2), from.group(1));
    }
    assertThat(stages).containsKeys("build", "ordo", "flink");
    assertThat(stages.get("ordo")).isEqualTo("eclipse-temurin:17-jre");
    assertThat(stages.get("flink")).isEqualTo("flink:" + EnvironmentInformation.getVersion() + "-java17");
    services.properties().forEach(e -> {
      JsonNode build = e.getValue().get("build");
      if (build != null) {
        assertThat(build.path("dockerfile").asText()).isEqualTo("docker/Dockerfile");
        assertThat(docker.resolve(build.path("context").asText()).normalize()).isEqualTo(root);
        assertThat(stages).as("target of %s", e.getKey()).containsKey(build.path("target").asText());
      }
    });

    // The build stage runs the README's build; the stages copy what it produces.
    assertThat(dockerfile).contains("mvn -B -ntp -DskipTests package");
    String version = projectVersion();
    assertThat(dockerfile)
        .contains("/src/executor-job/target/ordo-executor-job-" + version + "-job.jar")
        .contains("/opt/flink/usrlib/ordo-executor-job.jar")
        .contains("/src/launcher/target/ordo.jar")
        .contains("/src/launcher/target/lib/")
        .contains("docker/submit-job.sh " + SUBMIT_SCRIPT)
        .contains("\"" + OrdoCli.class.getName() + "\"]")
        .contains("EXPOSE " + EmbeddedOrdo.Options.DEFAULT_GRPC_PORT + " " + EmbeddedOrdo.Options.DEFAULT_HTTP_PORT);
    String submit = Files.readString(docker.resolve("submit-job.sh"));
    assertThat(submit).contains("/opt/flink/usrlib/ordo-executor-job.jar")
        .contains("JOB_NAME=\"" + ExecutorJobConstants.JOB_NAME + "\"")
        .contains("-c " + ExecutorJob.class.getName());
    assertThat(Files.isExecutable(docker.resolve("submit-job.sh"))).isTrue();
  }

  /** The project's version, from the root pom (the parent's own version element). */
  static String projectVersion() throws IOException {
    String pom = Files.readString(root.resolve("pom.xml"));
    Matcher m = Pattern.compile("<artifactId>ordo-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void prometheusScrapesEveryGatewayOnItsHttpPortAndFlinksReporters() throws IOException {
    JsonNode prometheus = YAML.readTree(docker.resolve("prometheus/prometheus.yml").toFile());
    Map<String, JsonNode> jobs = new HashMap<>();
    prometheus.path("scrape_configs").forEach(j -> jobs.put(j.path("job_name").asText(), j));

    JsonNode gatewayJob = jobs.get("ordo-gateway");
    assertThat(gatewayJob).isNotNull();
    assertThat(gatewayJob.path("metrics_path").asText()).isEqualTo("/metrics");
    Set<String> expected = new HashSet<>();
    for (Gateway g : gateways()) {
      expected.add(g.service() + ":" + g.config().httpPort());
    }
    assertThat(targets(gatewayJob)).isEqualTo(expected);

    Set<String> flinkTargets = new HashSet<>();
    for (String name : servicesOfTarget("flink")) {
      JsonNode service = service(name);
      if (command(service).equals(List.of("jobmanager")) || command(service).equals(List.of("taskmanager"))) {
        flinkTargets.add(name + ":" + flinkProperties(service).get("metrics.reporter.prom.port"));
      }
    }
    assertThat(targets(jobs.get("flink"))).isEqualTo(flinkTargets);

    assertThat(volumes(service("prometheus"))).containsEntry("/etc/prometheus/prometheus.yml", "./prometheus/prometheus.yml");
    assertThat(command(service("prometheus"))).contains("--config.file=/etc/prometheus/prometheus.yml");
  }

  private static Set<String> targets(JsonNode job) {
    Set<String> targets = new HashSet<>();
    job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText())));
    return targets;
  }

  @Test
  void grafanaDashboardIsProvisionedWithThePanelsAndMetricNamesTheReadmeLists() throws IOException {
    JsonNode datasources = YAML.readTree(docker.resolve("grafana/provisioning/datasources/prometheus.yaml").toFile());
    String uid = datasources.path("datasources").get(0).path("uid").asText();
    assertThat(datasources.path("datasources").get(0).path("url").asText())
        .isEqualTo("http://prometheus:" + ports(service("prometheus")).keySet().iterator().next());

    JsonNode providers = YAML.readTree(docker.resolve("grafana/provisioning/dashboards/ordo.yaml").toFile());
    String dashboardsPath = providers.path("providers").get(0).path("options").path("path").asText();
    Map<String, String> grafanaVolumes = volumes(service("grafana"));
    assertThat(grafanaVolumes).containsEntry(dashboardsPath, "./grafana/dashboards")
        .containsEntry("/etc/grafana/provisioning", "./grafana/provisioning");

    JsonNode dashboard = new ObjectMapper().readTree(docker.resolve("grafana/dashboards/ordo.json").toFile());
    List<String> titles = new ArrayList<>();
    StringBuilder expressions = new StringBuilder();
    for (JsonNode panel : dashboard.path("panels")) {
      titles.add(panel.path("title").asText());
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo(uid);
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asText()).isEqualTo(uid);
        expressions.append(target.path("expr").asText()).append('\n');
      }
    }
    assertThat(titles).contains("Transactions/s", "Transaction latency p50 / p99", "Aborts by reason",
        "Watermark lag (executor sorter, log time)", "Ingest lag", "Subscription backlog", "Store lag");
    String readme = Files.readString(root.resolve("README.md"));
    for (String metric : DASHBOARD_METRICS) {
      assertThat(expressions).as("dashboard queries").contains(metric);
      assertThat(readme).as("README lists the dashboard's metric %s", metric).contains(metric);
    }
    assertThat(expressions).contains(ExecutorJobConstants.SORTER_NAME);
  }

  @Test
  void everyServiceHasAKnownImageAndNoStrayOrdoVariables() {
    services.properties().forEach(e -> {
      JsonNode s = e.getValue();
      assertThat(s.path("image").asText()).as("image of %s", e.getKey()).isNotEmpty();
      if (!servicesOfTarget("ordo").contains(e.getKey())) {
        assertThat(environment(s).keySet()).as("ORDO_* variables outside the gateways (%s)", e.getKey())
            .noneMatch(k -> k.startsWith(ConfigDefaults.ENV_PREFIX));
      }
    });
    if (services.size() < 10) {
      fail("expected brokers, Flink, submitter, gateways, Prometheus and Grafana; got " + services.size() + " services");
    }
  }
}
