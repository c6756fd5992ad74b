package io.ordo.jepsen.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session cluster's layout and configuration, without starting a process. */
class FlinkSessionClusterTest {
  @TempDir Path dir;

  private FlinkDistribution fakeDistribution() throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.writeString(lib.resolve("flink-runtime-2.2.1.jar"), "");
    return new FlinkDistribution(lib, Files.writeString(dir.resolve("job.jar"), ""));
  }

  @Test
  void everyProcessGetsItsOwnConfigDirectoryWithTheSharedSettings() throws Exception {
    Set<Integer> taken = new HashSet<>();
    FlinkSessionCluster c = FlinkSessionCluster.create(dir.resolve("flink"), fakeDistribution(),
        FlinkSessionCluster.Settings.defaults().withTaskManagers(2), taken);
    assertThat(taken).contains(c.restPort());
    for (String process : new String[] {"jobmanager", "taskmanager-1", "taskmanager-2", "client"}) {
      Path conf = dir.resolve("flink").resolve(process).resolve("conf");
      String yaml = Files.readString(conf.resolve("config.yaml"));
      assertThat(yaml).contains("rest.port: " + c.restPort(), "rest.address: 127.0.0.1", "jobmanager.rpc.address: 127.0.0.1",
          "taskmanager.numberOfTaskSlots: 2", "taskmanager.memory.process.size: 1024m", "heartbeat.timeout: 10000",
          "io.tmp.dirs: " + dir.resolve("flink").resolve(process).resolve("tmp"));
      assertThat(yaml).contains("env.java.opts.all: '--add-exports");
      assertThat(Files.readString(conf.resolve("log4j.properties"))).contains("${sys:log.file}", "SizeBasedTriggeringPolicy");
    }
    assertThat(c.restUrl()).isEqualTo("http://127.0.0.1:" + c.restPort());
    assertThat(c.pids()).isEmpty();
    assertThatThrownBy(() -> c.taskManagerPid(3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..2");
    assertThatThrownBy(() -> c.taskManagerPid(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("never started");
  }

  @Test
  void aFixedRestPortIsKept() throws Exception {
    FlinkSessionCluster c = FlinkSessionCluster.create(dir.resolve("flink"), fakeDistribution(),
        FlinkSessionCluster.Settings.defaults().withRestPort(18_081), new HashSet<>());
    assertThat(c.restPort()).isEqualTo(18_081);
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> FlinkSessionCluster.Settings.defaults().withTaskManagers(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FlinkSessionCluster.Settings.defaults().withRestPort(70_000)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDistributionNeedsFlinksRuntimeAndTheJobJar() throws Exception {
    assertThatThrownBy(() -> new FlinkDistribution(dir, dir.resolve("job.jar"))).hasMessageContaining("no flink-runtime jar");
    FlinkDistribution d = fakeDistribution();
    assertThat(d.classpath()).isEqualTo(dir.resolve("lib").resolve("*").toString());
    assertThatThrownBy(() -> new FlinkDistribution(d.libDir(), dir.resolve("missing.jar"))).hasMessageContaining("does not exist");
  }
}
