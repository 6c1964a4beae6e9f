package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The tests' reading of the program's JSON output, through Jackson: objects become {@code Map}, arrays
 * {@code List}, integers {@code Long}; anything after the value is an error.
 */
final class TestJson {

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private TestJson() {
    }

    /**
     * Parses one JSON value.
     *
     * @param text the JSON text
     * @return the value as maps, lists, strings, numbers, booleans and nulls
     * @throws IllegalArgumentException if it is not one well-formed JSON value
     */
    static Object parse(String text) {
        try {
            return STRICT.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage() + ": " + text, e);
        }
    }
}
