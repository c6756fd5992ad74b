package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** SCRAM-SHA-256 against RFC 7677's example exchange, and the ways an exchange fails. */
class ScramSha256Test {
  // RFC 7677 §3: user "user", password "pencil".
  private static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  private static final String SERVER_NONCE_SUFFIX = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  private static final String SERVER_FIRST =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  private static final String CLIENT_FINAL =
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
          + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  private static ScramSha256.Verifier rfcVerifier() {
    return ScramSha256.verifier(
        "pencil", Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  }

  @Test
  void rfc7677ExampleExchange() {
    ScramSha256.ServerExchange exchange =
        new ScramSha256.ServerExchange(rfcVerifier(), SERVER_NONCE_SUFFIX);
    assertThat(exchange.serverFirst(CLIENT_FIRST)).isEqualTo(SERVER_FIRST);
    assertThat(exchange.serverFinal(CLIENT_FINAL)).contains(SERVER_FINAL);
  }

  @Test
  void wrongPasswordFailsTheProof() {
    ScramSha256.Verifier other =
        ScramSha256.verifier("pencil2", Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    ScramSha256.ServerExchange exchange = new ScramSha256.ServerExchange(other, SERVER_NONCE_SUFFIX);
    exchange.serverFirst(CLIENT_FIRST);
    assertThat(exchange.serverFinal(CLIENT_FINAL)).isEmpty();
  }

  @Test
  void unknownUserFailsEvenWithTheRightProof() {
    ScramSha256.ServerExchange exchange =
        new ScramSha256.ServerExchange(rfcVerifier(), false, new SecureRandom());
    String serverFirst = exchange.serverFirst(CLIENT_FIRST);
    assertThat(serverFirst).startsWith("r=rOprNGfwEbeRWgbNEkqO").contains(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
    assertThat(exchange.serverFinal("c=biws,r=" + nonce + ",p=" + b64(new byte[32]))).isEmpty();
  }

  @Test
  void verifierRoundTripsInPostgresForm() {
    ScramSha256.Verifier v = ScramSha256.newVerifier("secret", new SecureRandom());
    String text = v.encode();
    assertThat(text).startsWith("SCRAM-SHA-256$4096:");
    ScramSha256.Verifier parsed = ScramSha256.Verifier.parse(text);
    assertThat(parsed.storedKey()).isEqualTo(v.storedKey());
    assertThat(parsed.serverKey()).isEqualTo(v.serverKey());
    assertThat(parsed.salt()).isEqualTo(v.salt());
    assertThatThrownBy(() -> ScramSha256.Verifier.parse("md5abcdef"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SCRAM-SHA-256");
    assertThatThrownBy(() -> ScramSha256.Verifier.parse("SCRAM-SHA-256$10:AAAA$AAAA:AAAA"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("iterations");
  }

  @Test
  void malformedOrChannelBindingMessagesAreRefused() {
    ScramSha256.ServerExchange a = new ScramSha256.ServerExchange(rfcVerifier(), SERVER_NONCE_SUFFIX);
    assertThatThrownBy(() -> a.serverFirst("p=tls-server-end-point,,n=user,r=abc"))
        .hasMessageContaining("channel binding");
    ScramSha256.ServerExchange b = new ScramSha256.ServerExchange(rfcVerifier(), SERVER_NONCE_SUFFIX);
    assertThatThrownBy(() -> b.serverFirst("n,,n=user")).hasMessageContaining("malformed");
    ScramSha256.ServerExchange c = new ScramSha256.ServerExchange(rfcVerifier(), SERVER_NONCE_SUFFIX);
    c.serverFirst(CLIENT_FIRST);
    // Another nonce than the server's: refused before the proof is looked at.
    assertThatThrownBy(() -> c.serverFinal("c=biws,r=rOprNGfwEbeRWgbNEkqOxx,p=" + b64(new byte[32])))
        .hasMessageContaining("nonce");
    ScramSha256.ServerExchange d = new ScramSha256.ServerExchange(rfcVerifier(), SERVER_NONCE_SUFFIX);
    d.serverFirst(CLIENT_FIRST);
    assertThatThrownBy(() -> d.serverFinal(CLIENT_FINAL.replace("c=biws", "c=eSws")))
        .hasMessageContaining("channel binding");
  }

  @Test
  void mockVerifiersAreStablePerUser() {
    byte[] secret = "s".repeat(32).getBytes(StandardCharsets.US_ASCII);
    assertThat(ScramSha256.mockVerifier("bob", secret).salt())
        .isEqualTo(ScramSha256.mockVerifier("bob", secret).salt())
        .isNotEqualTo(ScramSha256.mockVerifier("carol", secret).salt());
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
