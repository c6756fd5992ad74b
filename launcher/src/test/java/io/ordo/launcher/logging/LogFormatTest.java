package io.ordo.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URL;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.xml.XmlConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.layout.template.json.JsonTemplateLayout;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/**
 * The application's log4j2.xml (not the tests' log4j2-test.xml), loaded into a logger context of
 * its own: text lines by default, one ECS JSON object per event with ordo.log.format=json
 * (ORDO_LOG_FORMAT=json in a container).
 */
class LogFormatTest {
  private static Map<String, Appender> rootAppenders(String format) throws Exception {
    String previous = System.getProperty("ordo.log.format");
    if (format == null) {
      System.clearProperty("ordo.log.format");
    } else {
      System.setProperty("ordo.log.format", format);
    }
    LoggerContext context = new LoggerContext("log-format-test-" + format);
    try {
      URL url = LogFormatTest.class.getClassLoader().getResource("log4j2.xml");
      assertThat(url).as("the application's log4j2.xml").isNotNull();
      XmlConfiguration config = new XmlConfiguration(context, ConfigurationSource.fromUri(url.toURI()));
      context.start(config);
      return context.getConfiguration().getRootLogger().getAppenders();
    } finally {
      context.stop();
      if (previous == null) {
        System.clearProperty("ordo.log.format");
      } else {
        System.setProperty("ordo.log.format", previous);
      }
    }
  }

  private static LogEvent event() {
    return Log4jLogEvent.newBuilder()
        .setLoggerName("io.ordo.gateway.GatewayServer")
        .setLevel(Level.INFO)
        .setMessage(new SimpleMessage("gateway serving"))
        .setTimeMillis(1_700_000_000_000L)
        .build();
  }

  @Test
  void textByDefault() throws Exception {
    Map<String, Appender> appenders = rootAppenders(System.getenv("ORDO_LOG_FORMAT") == null ? null : "text");
    assertThat(appenders).containsOnlyKeys("text");
    assertThat(appenders.get("text").getLayout()).isInstanceOf(PatternLayout.class);
  }

  @Test
  void jsonWritesOneEcsObjectPerEvent() throws Exception {
    Map<String, Appender> appenders = rootAppenders("json");
    assertThat(appenders).containsOnlyKeys("json");
    JsonTemplateLayout layout = (JsonTemplateLayout) appenders.get("json").getLayout();
    String line = layout.toSerializable(event());
    assertThat(line).endsWith("\n").doesNotContain("\n{");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("message").asText()).isEqualTo("gateway serving");
    assertThat(json.get("log.level").asText()).isEqualTo("INFO");
    assertThat(json.get("log.logger").asText()).isEqualTo("io.ordo.gateway.GatewayServer");
    assertThat(json.get("service.name").asText()).isEqualTo("ordo");
    assertThat(json.get("@timestamp").asText()).startsWith("2023-11-14T22:13:20");
  }
}
