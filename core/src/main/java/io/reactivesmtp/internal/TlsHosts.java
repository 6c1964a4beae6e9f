package io.reactivesmtp.internal;

import io.netty.util.NetUtil;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;

/** Host names as TLS sees them: the peer host to verify, the SNI name to send, a configured server name. */
public final class TlsHosts {

    /** An ASCII host name (A-labels for IDNs), each label 1 to 63 characters, no trailing dot. */
    private static final Pattern HOST_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private TlsHosts() {
    }

    /**
     * @param name a configured server identity
     * @return whether it is an ASCII host name of at most 253 characters or an IP literal without brackets
     */
    public static boolean isServerName(String name) {
        return name.length() <= 253 && HOST_NAME.matcher(name).matches() || isIpLiteral(name);
    }

    /** Without a trailing dot (certificates never carry one) and without IPv6 brackets. */
    public static String normalizePeerHost(String peerHost) {
        String host = peerHost;
        if (host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.length() > 1 && host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("peer host must not be empty");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("invalid peer host \"" + SafeText.escape(peerHost)
                        + "\": it contains controls or spaces");
            }
        }
        return host;
    }

    /** Without brackets: Netty's check accepts {@code [::1]}, which is no valid SNI or identity to verify. */
    public static boolean isIpLiteral(String host) {
        return !host.startsWith("[") && (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host));
    }

    /** @return the SNI name, or null for a host that SNI cannot carry (it is then only used for verification) */
    public static SNIHostName sniHostName(String host) {
        try {
            return new SNIHostName(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
