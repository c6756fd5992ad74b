package io.ordo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credentials file: format, hashing, token checks and the errors of a malformed file. */
class CredentialsTest {
  private final SecureRandom random = new SecureRandom();

  @Test
  void tokensAreStoredHashedAndAuthenticateToTheirEntry(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("auth");
    String reader = Credentials.newToken(random);
    String admin = Credentials.newToken(random);
    Credentials.appendEntry(file, Credentials.tokenLine("ci", Permission.READ, reader));
    Credentials.appendEntry(file, Credentials.tokenLine("ops", Permission.ADMIN, admin));
    Credentials.appendEntry(file, Credentials.userLine("alice", Permission.WRITE, "pw", random));
    String text = Files.readString(file);
    assertThat(text).doesNotContain(reader).doesNotContain(admin).doesNotContain(" pw");
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    Credentials c = Credentials.load(file);
    assertThat(c.authenticateToken(reader)).contains(new Principal("ci", Permission.READ));
    assertThat(c.authenticateToken(admin)).contains(new Principal("ops", Permission.ADMIN));
    assertThat(c.authenticateToken(reader + "x")).isEmpty();
    assertThat(c.authenticateToken("")).isEmpty();
    assertThat(c.authenticateToken("x".repeat(Credentials.TOKEN_CHARS_MAX + 1))).isEmpty();
    assertThat(c.pgUsers().find("alice").map(u -> u.access())).contains(SqlAccess.WRITE);
    assertThat(c.pgUsers().find("bob")).isEmpty();
    assertThat(reader).startsWith("ordo_").hasSize(5 + 43);
  }

  @Test
  void appendRefusesDuplicatesAndLeavesTheFileUnchanged(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("auth");
    Credentials.appendEntry(file, Credentials.tokenLine("ci", Permission.READ, "t1"));
    String before = Files.readString(file);
    assertThatThrownBy(
            () -> Credentials.appendEntry(file, Credentials.tokenLine("ci", Permission.WRITE, "t2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate token name 'ci'");
    assertThat(Files.readString(file)).isEqualTo(before);
  }

  @Test
  void malformedLinesNameTheLineAndTheProblem() {
    String hash = "sha256:" + "a".repeat(64);
    assertThatThrownBy(() -> Credentials.parse(List.of("# c", "", "token ci read"), "f"))
        .hasMessageContaining("f line 3").hasMessageContaining("got 3 fields");
    assertThatThrownBy(() -> Credentials.parse(List.of("token ci superuser " + hash), "f"))
        .hasMessageContaining("unknown permission 'superuser'");
    assertThatThrownBy(() -> Credentials.parse(List.of("token ci read sha256:abc"), "f"))
        .hasMessageContaining("sha256:<64");
    assertThatThrownBy(() -> Credentials.parse(List.of("token c/i read " + hash), "f"))
        .hasMessageContaining("invalid name");
    assertThatThrownBy(() -> Credentials.parse(List.of("key ci read " + hash), "f"))
        .hasMessageContaining("unknown entry kind 'key'");
    assertThatThrownBy(() -> Credentials.parse(List.of("user al read md5xyz"), "f"))
        .hasMessageContaining("f line 1").hasMessageContaining("SCRAM-SHA-256");
  }

  @Test
  void permissionsImplyTheWeakerOnes() {
    assertThat(Permission.ADMIN.implies(Permission.WRITE)).isTrue();
    assertThat(Permission.WRITE.implies(Permission.READ)).isTrue();
    assertThat(Permission.READ.implies(Permission.WRITE)).isFalse();
    assertThat(Permission.WRITE.implies(Permission.ADMIN)).isFalse();
    assertThat(Permission.parse("Admin")).isEqualTo(Permission.ADMIN);
  }

  @Test
  void bearerHeaderChecks() {
    String token = Credentials.newToken(random);
    BearerAuth auth =
        new BearerAuth(
            Credentials.parse(List.of(Credentials.tokenLine("w", Permission.WRITE, token)), "f"));
    assertThat(auth.check(null, Optional.empty(), "health")).isInstanceOf(BearerAuth.Allowed.class);
    assertThat(auth.check(null, Optional.of(Permission.READ), "Get"))
        .isInstanceOf(BearerAuth.Unauthenticated.class);
    assertThat(auth.check("Basic abc", Optional.of(Permission.READ), "Get"))
        .isInstanceOf(BearerAuth.Unauthenticated.class);
    assertThat(auth.check("Bearer wrong", Optional.of(Permission.READ), "Get"))
        .isInstanceOf(BearerAuth.Unauthenticated.class);
    assertThat(auth.check("bearer " + token, Optional.of(Permission.WRITE), "Put"))
        .isEqualTo(new BearerAuth.Allowed(Optional.of(new Principal("w", Permission.WRITE))));
    assertThat(auth.check("Bearer " + token, Optional.of(Permission.ADMIN), "CreateStream"))
        .isEqualTo(
            new BearerAuth.Denied("CreateStream needs admin permission; token 'w' has write"));
  }
}
