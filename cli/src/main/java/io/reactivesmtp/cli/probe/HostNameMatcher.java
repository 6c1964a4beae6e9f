package io.reactivesmtp.cli.probe;

import io.netty.util.NetUtil;
import io.reactivesmtp.internal.TlsHosts;
import java.net.IDN;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The probe's own comparison of a certificate's subject alternative names with the host connected to (RFC 6125
 * section 6.4), shown beside the JDK's verdict, which alone decides whether TLS is used. DNS names compare without
 * case and without a trailing dot, a host in Unicode as its A-labels; a wildcard matches only as the whole
 * left-most label of a name with at least two more labels ({@code *.example.com}, never {@code f*.example.com},
 * {@code *.com} or {@code www.*.com}); an IP literal matches only IP address entries, and a DNS name never does;
 * the subject's CN is not consulted.
 */
final class HostNameMatcher {

    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    private HostNameMatcher() {
    }

    /**
     * @param cert a certificate
     * @return its subject alternative names as {@code DNS:name} or {@code IP:address}, in order; others are left out
     */
    static List<String> subjectAltNames(X509Certificate cert) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return List.of();
        }
        List<String> result = new ArrayList<>();
        for (List<?> entry : names == null ? List.<List<?>>of() : names) {
            if (entry.size() < 2 || !(entry.get(0) instanceof Integer type) || !(entry.get(1) instanceof String v)) {
                continue;
            }
            if (type == DNS_NAME) {
                result.add("DNS:" + v);
            } else if (type == IP_ADDRESS) {
                result.add("IP:" + v);
            }
        }
        return result;
    }

    /**
     * @param subjectAltNames names as {@link #subjectAltNames} gives them
     * @param host the host name or IP literal connected to (brackets and a trailing dot allowed)
     * @return whether one of the names covers the host
     */
    static boolean matches(List<String> subjectAltNames, String host) {
        String h = TlsHosts.normalizePeerHost(host);
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(h);
        String reference = ip == null ? asciiLowerCase(h) : null;
        for (String name : subjectAltNames) {
            if (ip != null && name.startsWith("IP:")) {
                if (Arrays.equals(ip, NetUtil.createByteArrayFromIpAddressString(name.substring(3)))) {
                    return true;
                }
            } else if (ip == null && name.startsWith("DNS:") && dnsMatches(name.substring(4), reference)) {
                return true;
            }
        }
        return false;
    }

    private static boolean dnsMatches(String presented, String reference) {
        String p = presented.toLowerCase(Locale.ROOT);
        if (p.length() > 1 && p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.indexOf('*') < 0) {
            return p.equals(reference);
        }
        // Only "*." in front of at least two labels, and nowhere else.
        if (!p.startsWith("*.")) {
            return false;
        }
        String rest = p.substring(2);
        if (rest.indexOf('*') >= 0 || rest.indexOf('.') <= 0) {
            return false;
        }
        int dot = reference.indexOf('.');
        return dot > 0 && reference.substring(dot + 1).equals(rest);
    }

    /** A-labels for a host given in Unicode; a name IDN cannot convert is compared as given. */
    private static String asciiLowerCase(String host) {
        try {
            return IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return host.toLowerCase(Locale.ROOT);
        }
    }
}
