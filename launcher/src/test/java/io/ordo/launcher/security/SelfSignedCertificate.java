package io.ordo.launcher.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1} made in the test (EC
 * P-256, valid one day), written as PEM files the gateway's {@code --tls-cert}/{@code --tls-key}
 * take: no key is ever committed.
 */
final class SelfSignedCertificate {
  final Path certPem;
  final Path keyPem;
  final X509Certificate certificate;
  private final java.security.PrivateKey privateKey;

  private SelfSignedCertificate(
      Path certPem, Path keyPem, X509Certificate certificate, java.security.PrivateKey privateKey) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.certificate = certificate;
    this.privateKey = privateKey;
  }

  static SelfSignedCertificate create(Path dir) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256, new SecureRandom());
    KeyPair pair = generator.generateKeyPair();
    X500Name subject = new X500Name("CN=localhost");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            subject,
            new BigInteger(64, new SecureRandom()),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            pair.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.dNSName, "localhost"),
              new GeneralName(GeneralName.iPAddress, "127.0.0.1")
            }));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    Path certPem = dir.resolve("server.crt");
    Path keyPem = dir.resolve("server.key");
    write(certPem, "CERTIFICATE", cert.getEncoded());
    write(keyPem, "PRIVATE KEY", pair.getPrivate().getEncoded()); // PKCS#8
    return new SelfSignedCertificate(certPem, keyPem, cert, pair.getPrivate());
  }

  private static void write(Path file, String type, byte[] der) throws IOException {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
  }

  /**
   * Writes a PKCS#12 key store with the key and the certificate (alias {@code ordo}), the form a
   * Kafka broker's {@code ssl.keystore.location} takes.
   */
  void writeKeyStore(Path file, String password) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("ordo", privateKey, password.toCharArray(), new java.security.cert.Certificate[] {certificate});
    try (java.io.OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
  }

  /** Writes a PKCS#12 trust store holding only this certificate (a client's {@code ssl.truststore.location}). */
  void writeTrustStore(Path file, String password) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ordo", certificate);
    try (java.io.OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
  }

  /** A client SSLContext that trusts exactly this certificate. */
  SSLContext clientContext() throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ordo", certificate);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
