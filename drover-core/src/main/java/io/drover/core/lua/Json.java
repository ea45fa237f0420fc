package io.drover.core.lua;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;

/** The one JSON mapper for values that cross from Lua: outputs, params, the {@code json} module. */
public final class Json {
    /**
     * Whole numbers read as Long, as LuaConvert makes them: outputs look the same whichever process made them.
     * Buffers are recycled through one shared pool, not per thread: tasks run on virtual threads, each used once,
     * so a per-thread pool allocated fresh buffers for every task's JSON.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                    .build())
            .enable(DeserializationFeature.USE_LONG_FOR_INTS);
    // Prebuilt reader and writer: the mapper's own readValue looks up its root deserializer on every call.
    private static final ObjectReader READER = MAPPER.readerFor(Object.class);
    private static final ObjectWriter WRITER = MAPPER.writer();

    private Json() {}

    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static Object read(String text) {
        try {
            return READER.readValue(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
