package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonValueTest {

    @Test
    void readsEveryKindOfValue() {
        Object v = JsonValue.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"b\": {\"c\": \"d\\u00e9\\n\\\"\\ud83d\\ude00\"}} ");
        assertThat(v).isEqualTo(Map.of(
                "a", Arrays.asList(1L, -2L, new BigDecimal("3.5"), new BigDecimal("1e3"), true, false, null),
                "b", Map.of("c", "d\u00e9\n\"\ud83d\ude00")));
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> m = JsonValue.object();
        m.put("s", "tab\t quote\" back\\ nl\n ctl\u0001 ls\u2028 é");
        m.put("n", 42L);
        m.put("l", List.of("x", 1L));
        m.put("z", null);
        String text = JsonValue.write(m);
        assertThat(text).doesNotContain("\n").doesNotContain("\u0001").doesNotContain("\u2028");
        assertThat(JsonValue.parse(text)).isEqualTo(m);
    }

    @Test
    void rejectsMalformedTextNamingThePosition() {
        for (String bad : List.of("", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "\"a\u0001\"",
                "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "tru", "{\"a\":1} x", "{a:1}", "[1 2]", "nul")) {
            assertThatThrownBy(() -> JsonValue.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("malformed JSON at character ");
        }
    }

    @Test
    void rejectsDuplicateKeysAndDeepNesting() {
        assertThatThrownBy(() -> JsonValue.parse("{\"a\":1,\"a\":2}")).hasMessageContaining("duplicate key \"a\"");
        assertThatThrownBy(() -> JsonValue.parse("[".repeat(40) + "]".repeat(40)))
                .hasMessageContaining("nested deeper than 32");
    }
}
