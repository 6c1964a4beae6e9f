package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * JSON written field by field without databind ({@link JsonLines}) is byte for byte what {@link CliJson} writes
 * for the same values: the bulk report's run, end and suppressed lines, and bulk's {@code --json} summary.
 */
class JsonLinesTest {

    /** Quotes, a backslash, a control character and text outside ASCII: all escaped alike. */
    private static final String AWKWARD = "l\u00e9a \"q\" \\ \t\u2603 \ud83d\udce7@ex\u00e4mple.com";

    private static Map<String, Object> object(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void reportLinesAreThoseOfCliJson() {
        assertThat(new BulkReport.Run("2026-12-07T04:00:00Z", AWKWARD, 3, 164).json()).isEqualTo(CliJson.line(
                object("run", object("started", "2026-12-07T04:00:00Z", "recipients", AWKWARD, "perMessage", 3,
                        "maxUnreported", 164L))));
        assertThat(new BulkReport.End(3, 100_000, 2, 7).json()).isEqualTo(CliJson.line(
                object("end", object("exitStatus", 3, "messages", 100_000L, "abandoned", 2L, "suppressed", 7L))));
        assertThat(new BulkReport.Suppressed(AWKWARD, 12).json()).isEqualTo(CliJson.line(
                object("suppressed", object("address", AWKWARD, "line", 12L))));
        assertThat(new BulkReport.End(0, 1, 0, 0).json())
                .isEqualTo("{\"end\": {\"exitStatus\": 0, \"messages\": 1, \"abandoned\": 0, \"suppressed\": 0}}");
    }

    @Test
    void theBulkSummaryIsThatOfCliJson() {
        BulkSummary.Document full = new BulkSummary.Document(AWKWARD, false, true, 10_700,
                new BulkSummary.Messages(10, 6, 1, 1, 1, 1, 1), new BulkSummary.Recipients(12, 7, 2, 2, 1), 13, 1, 2,
                3, 1, Map.of("250", 7L),
                List.of(new BulkStats.ErrorCount("451 4.2.1 " + AWKWARD, 2), new BulkStats.ErrorCount("x", 1)),
                9345.6, 0.1, 50, "report \u00e9.jsonl", true, "read error: " + AWKWARD, 3);
        Map<String, Long> codes = new LinkedHashMap<>();
        codes.put("250", 99_998L);
        codes.put("451", 1L);
        codes.put("550", 1L);
        BulkSummary.Document plain = new BulkSummary.Document("127.0.0.1:31002, TLS none", true, false, 9000,
                new BulkSummary.Messages(100_000, 100_000, 0, 0, 0, 0, 0),
                new BulkSummary.Recipients(100_000, 100_000, 0, 0, 0), 100_000, 0, 0, 0, 0, codes, List.of(),
                11111.1, 11111.1, 128, null, false, null, 0);
        BulkSummary.Document empty = new BulkSummary.Document("", false, false, 0,
                new BulkSummary.Messages(0, 0, 0, 0, 0, 0, 0), new BulkSummary.Recipients(0, 0, 0, 0, 0), 0, 0, 0,
                0, 0, Map.of(), List.of(), 0, 0, 0, null, false, null, 4);

        for (BulkSummary.Document d : List.of(full, plain, empty)) {
            assertThat(BulkSummary.jsonText(d)).isEqualTo(CliJson.document(d));
        }
        assertThat(BulkSummary.jsonText(empty)).startsWith("{\n  \"server\": \"\",\n  \"embeddedServer\": false,")
                .contains("\"replyCodes\": {},\n  \"errors\": [],\n").endsWith("\"exitStatus\": 4\n}");
    }
}
