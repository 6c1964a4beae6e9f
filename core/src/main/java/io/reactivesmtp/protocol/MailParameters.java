package io.reactivesmtp.protocol;

import io.reactivesmtp.BodyType;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Dsn;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpPolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The ESMTP parameters of one transaction, negotiated from what the message needs and what the server
 * offered, before a byte of it is written: SIZE (RFC 1870), BODY=8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
 * REQUIRETLS (RFC 8689), and DSN's RET, ENVID, NOTIFY and ORCPT (RFC 3461). Whatever cannot be met fails
 * here with an {@link SmtpPolicyException}; nothing is ever claimed that the server did not offer.
 */
final class MailParameters {

    final List<String> mail;
    final boolean smtpUtf8;
    /** Content of unknown body type to a server without 8BITMIME: abandon the send at the first 8-bit byte. */
    final boolean watchEightBit;
    private final List<String> rcptSuffix;
    private final boolean orcpt;

    private MailParameters(List<String> mail, boolean smtpUtf8, boolean watchEightBit, List<String> rcptSuffix,
                           boolean orcpt) {
        this.mail = List.copyOf(mail);
        this.smtpUtf8 = smtpUtf8;
        this.watchEightBit = watchEightBit;
        this.rcptSuffix = List.copyOf(rcptSuffix);
        this.orcpt = orcpt;
    }

    /**
     * @param envelope the message's envelope
     * @param content the message's content
     * @param caps what the server offered (after TLS, if any)
     * @param tls whether the session runs over TLS
     * @return the parameters
     * @throws SmtpPolicyException when the message needs what the server lacks
     */
    static MailParameters negotiate(Envelope envelope, MessageContent content, Capabilities caps, boolean tls) {
        List<String> mail = new ArrayList<>();

        OptionalLong size = content.size();
        if (caps.supports("SIZE") && size.isPresent()) {
            OptionalLong limit = caps.maxSize();
            if (limit.isPresent() && size.getAsLong() > limit.getAsLong()) {
                throw new SmtpPolicyException("the message is " + size.getAsLong() + " bytes, more than the "
                        + limit.getAsLong() + " bytes the server accepts (SIZE); nothing was sent");
            }
            mail.add("SIZE=" + size.getAsLong());
        }

        BodyType body = content.bodyType();
        boolean watchEightBit = false;
        if (body == BodyType.EIGHT_BIT && !caps.eightBitMime()) {
            throw new SmtpPolicyException("the message has 8-bit content but the server does not offer 8BITMIME "
                    + "(RFC 6152); encode it as 7-bit (quoted-printable or base64) or send it elsewhere; nothing was sent");
        }
        if (body != BodyType.SEVEN_BIT) {
            if (caps.eightBitMime()) {
                mail.add("BODY=8BITMIME");
            } else {
                watchEightBit = true;
            }
        }

        boolean smtpUtf8 = envelope.requiresSmtpUtf8();
        if (smtpUtf8) {
            if (!caps.smtpUtf8()) {
                throw new SmtpPolicyException("envelope " + envelope + " has a non-ASCII local part but the server "
                        + "does not offer SMTPUTF8 (RFC 6531); nothing was sent");
            }
            mail.add("SMTPUTF8");
        }

        if (envelope.requireTls()) {
            if (!tls) {
                throw new SmtpPolicyException("the message demands REQUIRETLS (RFC 8689) but the session does not run "
                        + "over TLS; nothing was sent");
            }
            if (!caps.supports("REQUIRETLS")) {
                throw new SmtpPolicyException("the message demands REQUIRETLS (RFC 8689) but the server does not "
                        + "offer it; nothing was sent");
            }
            mail.add("REQUIRETLS");
        }

        List<String> rcptSuffix = List.of();
        boolean orcpt = false;
        if (envelope.dsn().isPresent() && caps.dsn()) {
            Dsn dsn = envelope.dsn().get();
            dsn.ret().ifPresent(r -> mail.add("RET=" + (r == Dsn.Return.FULL ? "FULL" : "HDRS")));
            dsn.envelopeId().ifPresent(id -> mail.add("ENVID=" + Dsn.xtext(id)));
            if (!dsn.notifyOn().isEmpty()) {
                List<String> on = new ArrayList<>();
                for (Dsn.Notify n : dsn.notifyOn()) {
                    on.add(n.name());
                }
                rcptSuffix = List.of("NOTIFY=" + String.join(",", on).toUpperCase(Locale.ROOT));
            }
            orcpt = dsn.originalRecipients();
        }
        return new MailParameters(mail, smtpUtf8, watchEightBit, rcptSuffix, orcpt);
    }

    /**
     * @param prefix what goes before the path ({@code FROM:}, {@code TO:})
     * @param address the address
     * @return the prefix and the path of the address in this transaction: as given with SMTPUTF8, with A-label
     *     domain without
     */
    String path(String prefix, MailAddress address) {
        if (!smtpUtf8 && address.requiresSmtpUtf8()) {
            address.toAsciiForm(); // throws: a non-ASCII local part has no ASCII form
        }
        // One concatenation, not the address's own string and then the path around it: every RCPT passes here.
        return prefix + "<" + address.localPart() + "@" + (smtpUtf8 ? address.domain() : address.asciiDomain()) + ">";
    }

    /**
     * @param to a recipient
     * @return the RCPT parameters after {@code TO:<..>}
     */
    List<String> rcpt(MailAddress to) {
        if (!orcpt && rcptSuffix.isEmpty()) {
            return List.of();
        }
        List<String> params = new ArrayList<>(rcptSuffix);
        // ORCPT's rfc822 type carries ASCII addresses only (a UTF-8 one needs RFC 6533's utf-8 type): skip those.
        if (orcpt && !to.requiresSmtpUtf8()) {
            params.add("ORCPT=rfc822;" + Dsn.xtext(to.toAsciiForm()));
        }
        return params;
    }
}
