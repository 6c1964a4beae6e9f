package io.reactivesmtp.dane;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The DNS names a server certificate is for, and whether one matches a host name (RFC 6125 §6.4): the subject
 * alternative names of type dNSName, or the subject's common name when there are none; a wildcard only as the
 * whole left-most label, matching exactly one label.
 */
public final class CertNames {

    /** dNSName in GeneralName (RFC 5280 §4.2.1.6). */
    private static final int DNS_NAME = 2;

    private CertNames() {
    }

    /**
     * @param cert a server certificate
     * @return its DNS names in lower case (SANs, else the CN); empty if it has none
     */
    public static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(DNS_NAME).equals(san.get(0)) && san.get(1) instanceof String) {
                        names.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if ("CN".equalsIgnoreCase(rdn.getType())) {
                        names.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                return List.of();
            }
        }
        return names;
    }

    /**
     * @param cert a server certificate
     * @param host the host name to match, without the trailing dot
     * @return whether one of its names matches the host
     */
    public static boolean matches(X509Certificate cert, String host) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String name : dnsNames(cert)) {
            if (matches(name, h)) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(String pattern, String host) {
        if (pattern.equals(host)) {
            return true;
        }
        if (!pattern.startsWith("*.") || pattern.length() < 4 || pattern.indexOf('*', 1) >= 0) {
            return false;
        }
        int dot = host.indexOf('.');
        // "*.example.com" matches "a.example.com", never "example.com" nor "a.b.example.com".
        return dot > 0 && host.substring(dot).equals(pattern.substring(1)) && pattern.substring(2).indexOf('.') > 0;
    }
}
