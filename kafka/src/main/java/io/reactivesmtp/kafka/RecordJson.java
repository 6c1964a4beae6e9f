package io.reactivesmtp.kafka;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.List;

/**
 * The one Jackson mapper of the job and report records ({@code FORMAT.md}): strict JSON in, compact JSON out.
 *
 * <p>Strict as RFC 8259 is: duplicate keys, trailing text, control characters in strings, leading zeros and
 * nesting deeper than {@value #MAX_DEPTH} are refused. No value is coerced into another type (a string is not a
 * number, a fraction not an integer, null not a primitive). Unknown fields are ignored and white space is free.
 */
final class RecordJson {

    /** Deeper nesting than any record has is refused before it costs anything. */
    static final int MAX_DEPTH = 32;

    static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // A number or boolean where a string belongs is a mistake, not an address named "1".
            .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private RecordJson() {
    }

    /**
     * @param e what Jackson threw while reading
     * @return the problem in words: the record's own check when its constructor refused, else Jackson's message
     *     and the field (or position) it was at; never the record's text
     */
    static String problem(JacksonException e) {
        if (e instanceof ValueInstantiationException && e.getCause() instanceof RuntimeException) {
            return e.getCause().getMessage();
        }
        String at;
        String path = path(e);
        if (!path.isEmpty()) {
            at = "field \"" + path + "\"";
        } else {
            JsonLocation l = e.getLocation();
            at = l == null || l.getByteOffset() < 0 ? "unknown position" : "byte " + l.getByteOffset();
        }
        return at + ": " + e.getOriginalMessage();
    }

    /** @return the top-level field where a binding error happened, or "" when it happened outside one */
    static String field(JacksonException e) {
        if (e instanceof JsonMappingException) {
            List<JsonMappingException.Reference> refs = ((JsonMappingException) e).getPath();
            if (!refs.isEmpty() && refs.get(0).getFieldName() != null) {
                return refs.get(0).getFieldName();
            }
        }
        return "";
    }

    private static String path(JacksonException e) {
        if (!(e instanceof JsonMappingException)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : ((JsonMappingException) e).getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /**
     * @param field a field the record reads
     * @param s its text
     * @throws IllegalArgumentException when it holds a lone surrogate (a \\u escape of half a character), which
     *     UTF-8 cannot carry and would otherwise turn silently into '?'
     */
    static void requireWellFormed(String field, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("\"" + field + "\" holds a lone surrogate at character " + i);
            }
        }
    }
}
