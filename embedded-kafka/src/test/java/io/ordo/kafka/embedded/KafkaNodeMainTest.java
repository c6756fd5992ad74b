package io.ordo.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arguments of a cluster node's process: voters round-trip, bad input names the argument. */
class KafkaNodeMainTest {
  private static final List<EmbeddedKafkaBroker.Voter> VOTERS = List.of(
      new EmbeddedKafkaBroker.Voter(1, "127.0.0.1", 9001, 9101),
      new EmbeddedKafkaBroker.Voter(2, "10.200.3.2", 9002, 9102));

  @Test
  void argumentsParseAndVotersRoundTrip() {
    KafkaNodeMain.Parsed p = KafkaNodeMain.parse(new String[] {
        "--data-dir", "/tmp/x", "--node-id", "2", "--cluster-id", "abc", "--voters", KafkaNodeMain.formatVoters(VOTERS),
        "--config", "min.insync.replicas=2", "--config", "a.b=c=d"});
    assertThat(p.dataDir()).isEqualTo(Path.of("/tmp/x"));
    assertThat(p.nodeId()).isEqualTo(2);
    assertThat(p.voters()).isEqualTo(VOTERS);
    assertThat(p.overrides()).containsEntry("min.insync.replicas", "2").containsEntry("a.b", "c=d");
    assertThat(VOTERS.get(1).bootstrapServer()).isEqualTo("10.200.3.2:9002");
  }

  @Test
  void badArgumentsSayWhatIsWrong() {
    assertThatThrownBy(() -> KafkaNodeMain.parse(new String[] {"--node-id"})).hasMessageContaining("missing value after --node-id");
    assertThatThrownBy(() -> KafkaNodeMain.parse(new String[] {"--node-id", "x"})).hasMessageContaining("--node-id needs an integer");
    assertThatThrownBy(() -> KafkaNodeMain.parse(new String[] {"--node-id", "1"})).hasMessageContaining("need --data-dir");
    assertThatThrownBy(() -> KafkaNodeMain.parseVoters("1@h:1")).hasMessageContaining("ID@HOST:CLIENTPORT:CONTROLLERPORT");
    assertThatThrownBy(() -> KafkaNodeMain.parse(new String[] {"--config", "novalue"})).hasMessageContaining("KEY=VALUE");
    assertThatThrownBy(() -> new EmbeddedKafkaBroker.Voter(1, "h", 5, 5)).hasMessageContaining("must differ");
  }

  @Test
  void aNodeMustBeOneOfTheVotersWithDistinctIds() {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.startNode(Path.of("/tmp/never"), 3, VOTERS, "c", java.util.Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node 3 is not among the voters");
    List<EmbeddedKafkaBroker.Voter> twice = List.of(VOTERS.get(0), new EmbeddedKafkaBroker.Voter(1, "h", 1, 2));
    assertThatThrownBy(() -> EmbeddedKafkaBroker.startNode(Path.of("/tmp/never"), 1, twice, "c", java.util.Map.of()))
        .hasMessageContaining("distinct");
  }
}
