package io.drover.agent;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA and certificates signed by it, generated for one test, written as PEM files. */
public final class TestCerts {
    public final Path caCert;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path dir;

    public TestCerts(Path dir, String caName) throws Exception {
        this.dir = dir;
        caKeys = keys();
        ca = sign(new X500Name("CN=" + caName), caKeys, new X500Name("CN=" + caName), caKeys, true, null);
        caCert = write(caName + ".pem", ca);
    }

    /** A certificate for {@code name} valid for 127.0.0.1 and localhost: [cert.pem, key.pem]. */
    public Path[] issue(String name) throws Exception {
        KeyPair k = keys();
        X509Certificate c = sign(
                new X500Name("CN=" + name),
                k,
                new X500Name("CN=" + ca.getSubjectX500Principal().getName().substring(3)),
                caKeys,
                false,
                new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")
                }));
        return new Path[] {write(name + ".pem", c), write(name + ".key", k.getPrivate())};
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(
            X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean isCa, GeneralNames sans)
            throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (sans != null) b.addExtension(Extension.subjectAlternativeName, false, sans);
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private Path write(String name, Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o instanceof PrivateKey pk ? new JcaPKCS8Generator(pk, null) : o);
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sw.toString());
        return p;
    }
}
