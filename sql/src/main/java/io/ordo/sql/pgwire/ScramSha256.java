package io.ordo.sql.pgwire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM-SHA-256 (RFC 5802 with SHA-256, RFC 7677) as PostgreSQL uses it for password
 * authentication (PostgreSQL manual, "SASL Authentication"): stored verifiers and the server's
 * side of one exchange.
 *
 * <p>A verifier is stored in PostgreSQL's own text form, {@code
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (base64), so the password itself is
 * never stored: StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey =
 * HMAC(SaltedPassword, "Server Key"), SaltedPassword = Hi(password, salt, iterations) (PBKDF2 with
 * HMAC-SHA-256). The password is used as its UTF-8 bytes (SASLprep is the identity on ASCII
 * passwords; PostgreSQL too uses the raw bytes of a password SASLprep rejects). Channel binding
 * (SCRAM-SHA-256-PLUS) is not offered.
 */
public final class ScramSha256 {
  /** The SASL mechanism name. */
  public static final String MECHANISM = "SCRAM-SHA-256";
  /** Iterations of new verifiers (PostgreSQL's default, scram_iterations). */
  public static final int DEFAULT_ITERATIONS = 4096;
  /** Bounds on the iterations of a stored verifier (a huge count would stall every login). */
  public static final int ITERATIONS_MIN = 4096;
  public static final int ITERATIONS_MAX = 1_000_000;
  private static final int SALT_BYTES = 16;
  private static final int NONCE_BYTES = 18;

  private ScramSha256() {}

  /** A stored SCRAM-SHA-256 verifier. Arrays are copied in and out. */
  public record Verifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
    public Verifier {
      if (iterations < ITERATIONS_MIN || iterations > ITERATIONS_MAX) {
        throw new IllegalArgumentException(
            "SCRAM iterations must be in [" + ITERATIONS_MIN + ", " + ITERATIONS_MAX + "], got "
                + iterations);
      }
      if (salt.length == 0 || storedKey.length != 32 || serverKey.length != 32) {
        throw new IllegalArgumentException(
            "a SCRAM-SHA-256 verifier needs a salt and 32-byte StoredKey and ServerKey");
      }
      salt = salt.clone();
      storedKey = storedKey.clone();
      serverKey = serverKey.clone();
    }

    @Override
    public byte[] salt() {
      return salt.clone();
    }

    @Override
    public byte[] storedKey() {
      return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
      return serverKey.clone();
    }

    /** PostgreSQL's text form, {@code SCRAM-SHA-256$<i>:<salt>$<StoredKey>:<ServerKey>}. */
    public String encode() {
      Base64.Encoder b64 = Base64.getEncoder();
      return MECHANISM + "$" + iterations + ":" + b64.encodeToString(salt) + "$"
          + b64.encodeToString(storedKey) + ":" + b64.encodeToString(serverKey);
    }

    /**
     * Parses PostgreSQL's text form.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Verifier parse(String text) {
      Objects.requireNonNull(text, "text");
      String[] parts = text.split("\\$", -1);
      if (parts.length != 3 || !parts[0].equals(MECHANISM)) {
        throw new IllegalArgumentException(
            "not a SCRAM-SHA-256 verifier (expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>)");
      }
      String[] first = parts[1].split(":", -1);
      String[] keys = parts[2].split(":", -1);
      if (first.length != 2 || keys.length != 2) {
        throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier");
      }
      try {
        Base64.Decoder b64 = Base64.getDecoder();
        return new Verifier(
            Integer.parseInt(first[0]), b64.decode(first[1]), b64.decode(keys[0]), b64.decode(keys[1]));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier: " + e.getMessage(), e);
      }
    }
  }

  /** A verifier for {@code password} with a new random salt and {@link #DEFAULT_ITERATIONS}. */
  public static Verifier newVerifier(String password, SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return verifier(password, salt, DEFAULT_ITERATIONS);
  }

  /** The verifier of {@code password} with the given salt and iterations. */
  public static Verifier verifier(String password, byte[] salt, int iterations) {
    byte[] salted = hi(password.getBytes(StandardCharsets.UTF_8), salt, iterations);
    byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
    byte[] serverKey = hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
    return new Verifier(iterations, salt, sha256(clientKey), serverKey);
  }

  /** Hi() of RFC 5802 §2.2: PBKDF2 with HMAC-SHA-256 and one output block. */
  static byte[] hi(byte[] password, byte[] salt, int iterations) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      // SecretKeySpec refuses an empty key; in HMAC (RFC 2104) an empty key is the same as
      // block-size zero bytes, since shorter keys are padded with zeros.
      mac.init(new SecretKeySpec(password.length == 0 ? new byte[64] : password, "HmacSHA256"));
      mac.update(salt);
      mac.update(new byte[] {0, 0, 0, 1});
      byte[] u = mac.doFinal();
      byte[] result = u.clone();
      for (int i = 1; i < iterations; i++) {
        u = mac.doFinal(u);
        for (int k = 0; k < result.length; k++) {
          result[k] ^= u[k];
        }
      }
      return result;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  /**
   * The server's side of one exchange: {@link #serverFirst} answers the client-first-message,
   * {@link #serverFinal} checks the client-final-message's proof. For an unknown user give a
   * mock verifier (derived, not random, so repeated attempts look alike) and {@code known =
   * false}: the exchange runs the same way and fails at the proof, so a client cannot tell
   * unknown users from wrong passwords.
   */
  public static final class ServerExchange {
    private final Verifier verifier;
    private final boolean known;
    private final SecureRandom random;
    private final String fixedNonceSuffix; // tests only (RFC 7677's example); else null
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private String gs2Header;

    public ServerExchange(Verifier verifier, boolean known, SecureRandom random) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      this.known = known;
      this.random = Objects.requireNonNull(random, "random");
      this.fixedNonceSuffix = null;
    }

    /** An exchange whose server nonce part is fixed (to replay published test vectors). */
    ServerExchange(Verifier verifier, String fixedNonceSuffix) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      this.known = true;
      this.random = null;
      this.fixedNonceSuffix = Objects.requireNonNull(fixedNonceSuffix, "fixedNonceSuffix");
    }

    /**
     * Answers the client-first-message ({@code gs2-header client-first-message-bare}) with the
     * server-first-message {@code r=<nonce>,s=<salt>,i=<iterations>}.
     *
     * @throws IllegalArgumentException when the message is malformed or asks for channel
     *     binding
     */
    public String serverFirst(String clientFirst) {
      if (serverFirst != null) {
        throw new IllegalStateException("serverFirst already answered");
      }
      // gs2-header: gs2-cbind-flag "," [authzid] ","; "p=" (channel binding) is not offered.
      if (!(clientFirst.startsWith("n,") || clientFirst.startsWith("y,"))) {
        throw new IllegalArgumentException(
            clientFirst.startsWith("p=")
                ? "channel binding is not supported (use SCRAM-SHA-256, not -PLUS)"
                : "malformed SCRAM client-first-message");
      }
      int second = clientFirst.indexOf(',', 2);
      if (second < 0) {
        throw new IllegalArgumentException("malformed SCRAM client-first-message");
      }
      if (second != 2) {
        throw new IllegalArgumentException("SCRAM authorization identities are not supported");
      }
      gs2Header = clientFirst.substring(0, second + 1);
      clientFirstBare = clientFirst.substring(second + 1);
      // client-first-message-bare: [reserved-mext ","] username "," nonce ["," extensions];
      // PostgreSQL takes the user from the startup packet and ignores n= here.
      String clientNonce = null;
      for (String attribute : clientFirstBare.split(",", -1)) {
        if (attribute.startsWith("m=")) {
          throw new IllegalArgumentException("SCRAM mandatory extensions are not supported");
        }
        if (attribute.startsWith("r=")) {
          clientNonce = attribute.substring(2);
        }
      }
      if (!clientFirstBare.startsWith("n=") || clientNonce == null || clientNonce.isEmpty()
          || !printable(clientNonce)) {
        throw new IllegalArgumentException("malformed SCRAM client-first-message");
      }
      if (fixedNonceSuffix != null) {
        nonce = clientNonce + fixedNonceSuffix;
      } else {
        byte[] own = new byte[NONCE_BYTES];
        random.nextBytes(own);
        nonce = clientNonce + Base64.getEncoder().encodeToString(own);
      }
      serverFirst =
          "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(verifier.salt)
              + ",i=" + verifier.iterations;
      return serverFirst;
    }

    /**
     * Checks the client-final-message {@code c=<gs2 header>,r=<nonce>,p=<proof>}: the proof in
     * constant time against the StoredKey.
     *
     * @return the server-final-message {@code v=<ServerSignature>} when the proof is right and
     *     the user known; empty otherwise
     * @throws IllegalArgumentException when the message is malformed (wrong nonce or channel
     *     binding data)
     */
    public java.util.Optional<String> serverFinal(String clientFinal) {
      if (serverFirst == null) {
        throw new IllegalStateException("serverFirst has not run");
      }
      int proofAt = clientFinal.lastIndexOf(",p=");
      if (proofAt < 0) {
        throw new IllegalArgumentException("malformed SCRAM client-final-message: no proof");
      }
      String withoutProof = clientFinal.substring(0, proofAt);
      String[] attributes = withoutProof.split(",", -1);
      if (attributes.length < 2
          || !attributes[0].startsWith("c=")
          || !attributes[1].startsWith("r=")) {
        throw new IllegalArgumentException("malformed SCRAM client-final-message");
      }
      byte[] binding;
      byte[] proof;
      try {
        binding = Base64.getDecoder().decode(attributes[0].substring(2));
        proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("malformed SCRAM client-final-message: bad base64");
      }
      if (!MessageDigest.isEqual(binding, gs2Header.getBytes(StandardCharsets.UTF_8))) {
        throw new IllegalArgumentException("SCRAM channel binding data does not match");
      }
      if (!MessageDigest.isEqual(
          attributes[1].substring(2).getBytes(StandardCharsets.UTF_8),
          nonce.getBytes(StandardCharsets.UTF_8))) {
        throw new IllegalArgumentException("SCRAM nonce does not match");
      }
      byte[] authMessage =
          (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
      byte[] clientSignature = hmac(verifier.storedKey, authMessage);
      boolean ok = proof.length == clientSignature.length;
      byte[] clientKey = new byte[clientSignature.length];
      for (int i = 0; i < clientKey.length; i++) {
        clientKey[i] = (byte) (clientSignature[i] ^ (ok ? proof[i] : 0));
      }
      ok &= MessageDigest.isEqual(sha256(clientKey), verifier.storedKey);
      Arrays.fill(clientKey, (byte) 0);
      if (!ok || !known) {
        return java.util.Optional.empty();
      }
      byte[] serverSignature = hmac(verifier.serverKey, authMessage);
      return java.util.Optional.of("v=" + Base64.getEncoder().encodeToString(serverSignature));
    }

    private static boolean printable(String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x21 || c > 0x7e || c == ',') {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A mock verifier for an unknown user, the same on every call for the same user and secret
   * (PostgreSQL does the same: a failed login looks like a wrong password).
   */
  public static Verifier mockVerifier(String user, byte[] secret) {
    byte[] salt = Arrays.copyOf(hmac(secret, user.getBytes(StandardCharsets.UTF_8)), SALT_BYTES);
    byte[] key = hmac(secret, ("keys:" + user).getBytes(StandardCharsets.UTF_8));
    return new Verifier(DEFAULT_ITERATIONS, salt, key, key);
  }
}
