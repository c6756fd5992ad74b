package io.ordo.gateway.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A server's TLS identity from PEM files ({@code --tls-cert}, {@code --tls-key}): the
 * certificate chain (the server's certificate first, then any intermediates) and its private
 * key in PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}; RSA, EC or Ed25519; {@code openssl pkcs8
 * -topk8 -nocrypt} converts other forms). One identity serves gRPC, REST and the PostgreSQL
 * protocol. TLS 1.2 and 1.3 only.
 */
public final class TlsMaterial {
  private static final Pattern KEY_PEM =
      Pattern.compile(
          "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
  /** Protocols the servers accept. */
  public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final KeyManagerFactory keyManagers;
  private final SSLContext sslContext;
  private final Path certFile;

  private TlsMaterial(KeyManagerFactory keyManagers, SSLContext sslContext, Path certFile) {
    this.keyManagers = keyManagers;
    this.sslContext = sslContext;
    this.certFile = certFile;
  }

  /**
   * Loads a certificate chain and a key.
   *
   * @throws IOException when a file cannot be read
   * @throws IllegalArgumentException naming the file and what is wrong (no certificate, no
   *     PKCS#8 key, a key of an unsupported algorithm, a key that does not match the certificate)
   */
  public static TlsMaterial load(Path certChainPem, Path privateKeyPem) throws IOException {
    Objects.requireNonNull(certChainPem, "certChainPem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    List<Certificate> chain;
    try (var in = new ByteArrayInputStream(Files.readAllBytes(certChainPem))) {
      Collection<? extends Certificate> read =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      chain = new ArrayList<>(read);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "TLS certificate file " + certChainPem + " is not a PEM certificate chain: "
              + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(
          "TLS certificate file " + certChainPem + " holds no certificate");
    }
    PrivateKey key = readKey(privateKeyPem);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("ordo", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
        throw new IllegalArgumentException(
            "TLS key " + privateKeyPem + " (" + key.getAlgorithm() + ") does not match the"
                + " certificate's key (" + chain.get(0).getPublicKey().getAlgorithm() + ")");
      }
      return new TlsMaterial(kmf, context, certChainPem);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "could not use TLS certificate " + certChainPem + " with key " + privateKeyPem + ": "
              + e.getMessage(), e);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    Matcher m = KEY_PEM.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException(
          "TLS key file " + file + " holds no PKCS#8 key ('-----BEGIN PRIVATE KEY-----'; convert"
              + " with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "EdDSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // not this algorithm; try the next
      }
    }
    throw new IllegalArgumentException(
        "TLS key file " + file + " holds a key that is not RSA, EC or Ed25519");
  }

  /** Key managers of this identity (for Netty's gRPC server). */
  public KeyManagerFactory keyManagers() {
    return keyManagers;
  }

  /** A server SSLContext of this identity (REST, PostgreSQL protocol). */
  public SSLContext sslContext() {
    return sslContext;
  }

  @Override
  public String toString() {
    return "certificate " + certFile;
  }
}
