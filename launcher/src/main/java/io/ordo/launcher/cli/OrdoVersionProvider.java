package io.ordo.launcher.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.kafka.common.utils.AppInfoParser;
import picocli.CommandLine.IVersionProvider;

/**
 * Answers {@code ordo --version}: Ordo's version (from the {@code pom.properties} that Maven puts
 * into the jar; "development build" when running from classes), Kafka's and Java's.
 */
public final class OrdoVersionProvider implements IVersionProvider {
  /** Where Maven's jar plugin stores the artifact's version. */
  static final String POM_PROPERTIES = "/META-INF/maven/io.ordo/ordo-launcher/pom.properties";

  @Override
  public String[] getVersion() {
    return new String[] {
      "ordo " + ordoVersion(),
      "Kafka " + AppInfoParser.getVersion(),
      "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
    };
  }

  /** Ordo's version, or "development build" when not running from the packaged jar. */
  static String ordoVersion() {
    try (InputStream in = OrdoVersionProvider.class.getResourceAsStream(POM_PROPERTIES)) {
      if (in != null) {
        Properties properties = new Properties();
        properties.load(in);
        String version = properties.getProperty("version");
        if (version != null && !version.isBlank()) {
          return version;
        }
      }
    } catch (IOException e) {
      // Fall through: the version is informational only.
    }
    return "development build";
  }
}
