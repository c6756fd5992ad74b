package io.ordo.gateway.auth;

import io.ordo.sql.pgwire.PgSecurity;
import io.ordo.sql.pgwire.ScramSha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The gateway's credentials file ({@code --auth-file}): bearer tokens for gRPC and REST and
 * password users for the PostgreSQL protocol, each with one {@link Permission}. The file holds no
 * secret in clear: a token is stored as the SHA-256 of its UTF-8 bytes, a password as its
 * SCRAM-SHA-256 verifier (RFC 5802/7677, PostgreSQL's text form), so reading the file neither
 * reveals a token nor lets one log in.
 *
 * <p>Format: UTF-8 text, one entry per line; blank lines and lines starting with {@code #} are
 * ignored; fields are separated by spaces or tabs:
 *
 * <pre>
 * token &lt;name&gt; &lt;read|write|admin&gt; sha256:&lt;64 hex digits&gt;
 * user  &lt;name&gt; &lt;read|write|admin&gt; SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;
 * </pre>
 *
 * Names are 1-63 characters of {@code [A-Za-z0-9._@-]}, unique among tokens and among users. At
 * most {@value #ENTRIES_MAX} entries and {@value #FILE_BYTES_MAX} bytes. {@code ordo auth
 * add-token} and {@code add-user} append entries ({@link #appendEntry}).
 *
 * <p>Immutable and thread-safe. A token is checked against every stored hash with a
 * constant-time comparison and without stopping at the first match, so the time taken does not
 * depend on which entry (if any) matches.
 */
public final class Credentials {
  /** Most entries in one file. */
  public static final int ENTRIES_MAX = 10_000;
  /** Largest file, in bytes. */
  public static final long FILE_BYTES_MAX = 4L << 20;
  /** Prefix of the tokens {@link #newToken} makes (it tells a leaked token's origin). */
  public static final String TOKEN_PREFIX = "ordo_";
  /** Longest token accepted in a request, in characters. */
  public static final int TOKEN_CHARS_MAX = 512;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,63}");
  private static final Pattern HASH = Pattern.compile("sha256:[0-9a-f]{64}");

  private record TokenEntry(String name, Permission permission, byte[] hash) {}

  private final List<TokenEntry> tokens;
  private final Map<String, PgSecurity.User> users;
  private final String source;

  private Credentials(List<TokenEntry> tokens, Map<String, PgSecurity.User> users, String source) {
    this.tokens = List.copyOf(tokens);
    this.users = Map.copyOf(users);
    this.source = source;
  }

  /**
   * Reads a credentials file.
   *
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException naming the file, the line and what is wrong with it
   */
  public static Credentials load(Path file) throws IOException {
    long size = Files.size(file);
    if (size > FILE_BYTES_MAX) {
      throw new IllegalArgumentException(
          "auth file " + file + " is " + size + " bytes, over the limit of " + FILE_BYTES_MAX);
    }
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses the lines of a credentials file.
   *
   * @param source names the file in error messages
   * @throws IllegalArgumentException naming the source, the line and what is wrong with it
   */
  public static Credentials parse(List<String> lines, String source) {
    List<TokenEntry> tokens = new ArrayList<>();
    Map<String, PgSecurity.User> users = new LinkedHashMap<>();
    Map<String, Boolean> tokenNames = new LinkedHashMap<>();
    int entries = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + " line " + (i + 1) + ": ";
      if (++entries > ENTRIES_MAX) {
        throw new IllegalArgumentException(where + "more than " + ENTRIES_MAX + " entries");
      }
      String[] f = line.split("[ \\t]+");
      if (f.length != 4) {
        throw new IllegalArgumentException(
            where + "expected 'token|user <name> <read|write|admin> <hash or verifier>', got "
                + f.length + " fields");
      }
      if (!NAME.matcher(f[1]).matches()) {
        throw new IllegalArgumentException(
            where + "invalid name '" + f[1] + "' (1-63 characters of A-Z a-z 0-9 . _ @ -)");
      }
      Permission permission;
      try {
        permission = Permission.parse(f[2]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
      switch (f[0]) {
        case "token" -> {
          if (!HASH.matcher(f[3]).matches()) {
            throw new IllegalArgumentException(
                where + "a token's hash must be sha256:<64 lower-case hex digits>");
          }
          if (tokenNames.put(f[1], true) != null) {
            throw new IllegalArgumentException(where + "duplicate token name '" + f[1] + "'");
          }
          tokens.add(
              new TokenEntry(f[1], permission, HexFormat.of().parseHex(f[3].substring(7))));
        }
        case "user" -> {
          ScramSha256.Verifier verifier;
          try {
            verifier = ScramSha256.Verifier.parse(f[3]);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
          }
          if (users.containsKey(f[1])) {
            throw new IllegalArgumentException(where + "duplicate user name '" + f[1] + "'");
          }
          users.put(f[1], new PgSecurity.User(f[1], verifier, permission.sqlAccess()));
        }
        default ->
            throw new IllegalArgumentException(
                where + "unknown entry kind '" + f[0] + "' (expected token or user)");
      }
    }
    return new Credentials(tokens, users, source);
  }

  /** Where these credentials were read from (for logs). */
  public String source() {
    return source;
  }

  /** Number of tokens. */
  public int tokenCount() {
    return tokens.size();
  }

  /** Number of password users. */
  public int userCount() {
    return users.size();
  }

  /**
   * The principal a bearer token stands for: its entry's name and permission; empty when no
   * entry has the token's hash (or the token is empty or over {@value #TOKEN_CHARS_MAX}
   * characters).
   */
  public Optional<Principal> authenticateToken(String token) {
    if (token == null || token.isEmpty() || token.length() > TOKEN_CHARS_MAX) {
      return Optional.empty();
    }
    byte[] hash = sha256(token);
    TokenEntry match = null;
    for (TokenEntry entry : tokens) {
      // No early exit: every entry is compared, each in constant time.
      if (MessageDigest.isEqual(entry.hash, hash) && match == null) {
        match = entry;
      }
    }
    return match == null
        ? Optional.empty()
        : Optional.of(new Principal(match.name, match.permission));
  }

  /** The password users, for the PostgreSQL listener. */
  public PgSecurity.Users pgUsers() {
    return name -> Optional.ofNullable(users.get(name));
  }

  /** The permission of a password user, when there is one. */
  public Optional<Permission> userPermission(String name) {
    PgSecurity.User user = users.get(name);
    return user == null ? Optional.empty() : Optional.of(Permission.valueOf(user.access().name()));
  }

  /** A new random token: {@value #TOKEN_PREFIX} and 32 random bytes in base64url (43 chars). */
  public static String newToken(SecureRandom random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The file line of a token entry (the token hashed). */
  public static String tokenLine(String name, Permission permission, String token) {
    checkName(name);
    return "token " + name + " " + permission.label() + " sha256:"
        + HexFormat.of().formatHex(sha256(token));
  }

  /** The file line of a password user (a SCRAM-SHA-256 verifier with a new random salt). */
  public static String userLine(
      String name, Permission permission, String password, SecureRandom random) {
    checkName(name);
    return "user " + name + " " + permission.label() + " "
        + ScramSha256.newVerifier(password, random).encode();
  }

  /**
   * Appends an entry line to a credentials file, creating it (owner read/write only, where the
   * file system has POSIX permissions) when missing. The file with the new line must still
   * parse: a duplicate name or a malformed line is refused and the file left unchanged.
   *
   * @throws IllegalArgumentException when the result would not parse
   */
  public static void appendEntry(Path file, String line) throws IOException {
    List<String> lines = new ArrayList<>();
    if (Files.exists(file)) {
      lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
    }
    lines.add(line);
    parse(lines, file.toString());
    if (!Files.exists(file)) {
      try {
        Files.createFile(
            file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      } catch (FileAlreadyExistsException e) {
        // created meanwhile: append to it
      }
    }
    Files.writeString(
        file, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid name '" + name + "' (1-63 characters of A-Z a-z 0-9 . _ @ -)");
    }
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
