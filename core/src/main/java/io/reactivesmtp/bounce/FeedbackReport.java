package io.reactivesmtp.bounce;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The machine-readable part of an RFC 5965 (ARF) feedback report: a recipient's complaint (or another kind of
 * feedback) about a message. Text fields are null when the report did not give them; lists are empty.
 *
 * @param feedbackType {@code Feedback-Type}, lower case: {@code abuse}, {@code fraud}, {@code virus},
 *     {@code other}, {@code not-spam}, {@code auth-failure}, or {@code unknown} when missing
 * @param userAgent the generator ({@code User-Agent})
 * @param version the format's {@code Version} as written ({@code 1}; some providers still write {@code 0.1})
 * @param originalMailFrom the original envelope sender ({@code Original-Mail-From}), without angle brackets
 * @param originalRcptTo the original envelope recipients ({@code Original-Rcpt-To}), without angle brackets
 * @param arrivalDate {@code Arrival-Date} (or the {@code Received-Date} some providers write)
 * @param sourceIp {@code Source-IP}
 * @param incidents {@code Incidents} as written
 * @param reportedDomains {@code Reported-Domain}s
 * @param reportedUris {@code Reported-URI}s
 * @param authenticationResults {@code Authentication-Results}, unfolded
 * @param complainants the addresses that complained: {@code Original-Rcpt-To} when given, otherwise what the
 *     returned message names (see {@link BounceReport#confidence()}); empty when none could be found
 */
public record FeedbackReport(String feedbackType, String userAgent, String version, String originalMailFrom,
        List<String> originalRcptTo, String arrivalDate, String sourceIp, String incidents,
        List<String> reportedDomains, List<String> reportedUris, String authenticationResults,
        List<String> complainants) {

    /**
     * @param feedbackType the feedback type
     * @param userAgent the generator, or null
     * @param version the version, or null
     * @param originalMailFrom the original sender, or null
     * @param originalRcptTo the original recipients
     * @param arrivalDate the arrival date, or null
     * @param sourceIp the source IP, or null
     * @param incidents the incident count, or null
     * @param reportedDomains the reported domains
     * @param reportedUris the reported URIs
     * @param authenticationResults the authentication results, or null
     * @param complainants who complained
     */
    public FeedbackReport {
        Objects.requireNonNull(feedbackType, "feedbackType");
        originalRcptTo = List.copyOf(originalRcptTo);
        reportedDomains = List.copyOf(reportedDomains);
        reportedUris = List.copyOf(reportedUris);
        complainants = List.copyOf(complainants);
    }

    /**
     * Whether this report is a complaint the sender must act on by not mailing the complainant again:
     * {@code abuse} (the "this is spam" button), {@code fraud} or {@code virus}. {@code not-spam},
     * {@code auth-failure} and {@code other} are not.
     *
     * @return whether it is a complaint
     */
    public boolean complaint() {
        return switch (feedbackType.toLowerCase(Locale.ROOT)) {
            case "abuse", "fraud", "virus" -> true;
            default -> false;
        };
    }
}
