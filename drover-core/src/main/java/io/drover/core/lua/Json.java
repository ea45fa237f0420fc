package io.drover.core.lua;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one JSON mapper for values that cross from Lua: outputs, params, the {@code json} module, and every record
 * and attempt Drover writes as JSON. Plain values (maps with string keys, lists, strings, numbers, booleans, null)
 * are written and read on Jackson's streaming API, with no serializer looked up per value: they are what nearly
 * every call carries, thousands of times a second on a busy controller or worker. Anything else is handed to
 * Jackson's mapper, where it stands.
 */
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

    private static final JsonFactory FACTORY = MAPPER.getFactory();

    private Json() {}

    public static String write(Object value) {
        return write(g -> value(g, value));
    }

    /** What writes one JSON text on a generator: a record's fields, written as they are read, no map between. */
    @FunctionalInterface
    public interface Writing {
        void write(JsonGenerator g) throws IOException;
    }

    /** The text {@code writing} writes (it must write one whole value). */
    public static String write(Writing writing) {
        BufferRecycler buffers = FACTORY._getBufferRecycler(); // from the shared pool, as the mapper's own writes
        try (SegmentedStringWriter out = new SegmentedStringWriter(buffers)) {
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                writing.write(g);
            }
            return out.getAndClear();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a string writer does not fail
        } finally {
            buffers.releaseToPool();
        }
    }

    /** Writes a value as {@link #write(Object)} does, inside a text another writing makes. */
    public static void value(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Long n -> g.writeNumber(n);
            case Integer n -> g.writeNumber(n);
            case Double n -> g.writeNumber(n);
            case Boolean b -> g.writeBoolean(b);
            case Map<?, ?> m
            when stringKeys(m) -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName((String) e.getKey());
                    value(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object x : l) value(g, x);
                g.writeEndArray();
            }
            default -> g.writeObject(v); // the mapper: other keys, numbers, raw values, arrays, records
        }
    }

    private static boolean stringKeys(Map<?, ?> m) {
        for (Object k : m.keySet()) if (!(k instanceof String)) return false;
        return true;
    }

    /**
     * Reads JSON into plain values: objects as LinkedHashMap (the last of a repeated name wins), arrays as
     * ArrayList, whole numbers as Long (BigInteger beyond it), others as Double. Text after the first value is
     * ignored. Anything unreadable, nested too deep or too large is an {@link IllegalArgumentException}.
     */
    public static Object read(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new IllegalArgumentException("invalid JSON: no content");
            return read(p, t);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage(), e);
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k == JsonToken.FIELD_NAME; k = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, read(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken x = p.nextToken(); x != JsonToken.END_ARRAY; x = p.nextToken()) l.add(read(p, x));
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) yield p.getBigIntegerValue();
                yield p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            case VALUE_EMBEDDED_OBJECT -> p.getEmbeddedObject();
            default -> throw new IllegalArgumentException("invalid JSON: unexpected " + t);
        };
    }
}
