package io.reactivesmtp.cli.probe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.UncheckedIOException;

/** The JSON of {@code probe --json}: a {@link ProbeResult} or {@link MxProbeResult}, indented, in ASCII whatever the platform encoding. */
public final class ProbeJson {

    // Non-ASCII (a server's Unicode, a bidi override in a certificate name) is written \\uXXXX: the output is ASCII.
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    private ProbeJson() {
    }

    /**
     * @param result what the probe found: a {@link ProbeResult}, or an {@link MxProbeResult}
     * @return the JSON object, without a final line break
     */
    public static String write(Object result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write the probe result as JSON", e);
        }
    }
}
