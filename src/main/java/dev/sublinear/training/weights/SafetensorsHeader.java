package dev.sublinear.training.weights;

import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header of one safetensors file, read and checked against the file before any data is: the
 * length within the file, strict UTF-8 JSON without duplicate keys, known types, shapes whose size
 * matches the byte range, ranges inside the data section that do not overlap. Nothing is allocated
 * from a declared size but the header itself, and that only once its length is known to fit the file.
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors) {

    static final String METADATA = "__metadata__";

    /** The reference implementation's limit: a header larger than this is not a model's. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final int LENGTH_BYTES = 8;

    SafetensorsHeader {
        metadata = Collections.unmodifiableMap(metadata);
        tensors = Collections.unmodifiableMap(tensors);
    }

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < LENGTH_BYTES) {
            throw new WeightFileException(file, null, "is " + size + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthBytes, 0);
        long length = lengthBytes.flip().getLong(); // unsigned: a negative long is past any file
        if (length < 2 || length > size - LENGTH_BYTES) {
            throw new WeightFileException(
                    file,
                    null,
                    "header length " + Long.toUnsignedString(length) + " does not fit a file of " + size + " bytes");
        }
        if (length > MAX_HEADER_BYTES) {
            throw new WeightFileException(
                    file, null, "header of " + length + " bytes, over the limit of " + MAX_HEADER_BYTES);
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) length);
        readFully(file, channel, headerBytes, LENGTH_BYTES);
        String json = decode(file, headerBytes.flip());
        long dataStart = LENGTH_BYTES + length;
        return parse(file, json, dataStart, size - dataStart);
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            if (channel.read(into, position + into.position()) < 0) {
                throw new WeightFileException(file, null, "ends inside its header");
            }
        }
    }

    private static String decode(Path file, ByteBuffer bytes) throws WeightFileException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new WeightFileException(file, null, "header is not valid UTF-8", e);
        }
    }

    private static SafetensorsHeader parse(Path file, String json, long dataStart, long dataBytes)
            throws WeightFileException {
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, long[]> ranges = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        String key = null;
        boolean finished = false;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            expect(file, null, reader, JsonToken.BEGIN_OBJECT, "a JSON object as the header");
            reader.beginObject();
            while (reader.hasNext()) {
                key = reader.nextName();
                if (!seen.add(key)) {
                    throw new WeightFileException(file, key, "appears twice in the header");
                }
                if (key.equals(METADATA)) {
                    readMetadata(file, reader, metadata);
                } else {
                    Entry entry = readEntry(file, key, reader);
                    long[] range = checkEntry(file, key, entry, dataBytes);
                    ranges.put(key, range);
                    tensors.put(
                            key,
                            new TensorInfo(key, entry.type, entry.shape, entry.elements, file, dataStart + range[0]));
                }
            }
            reader.endObject();
            key = null;
            finished = true;
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new WeightFileException(file, null, "header has text after its JSON object");
            }
        } catch (IOException | JsonParseException | IllegalStateException | NumberFormatException e) {
            if (e instanceof WeightFileException w) {
                throw w;
            }
            if (finished) {
                throw new WeightFileException(file, null, "header has text after its JSON object", e);
            }
            throw new WeightFileException(file, key, "header is not valid JSON: " + jsonProblem(e), e);
        }
        checkOverlaps(file, ranges);
        return new SafetensorsHeader(metadata, tensors);
    }

    private static void readMetadata(Path file, JsonReader reader, Map<String, String> metadata) throws IOException {
        expect(file, METADATA, reader, JsonToken.BEGIN_OBJECT, "an object of strings");
        reader.beginObject();
        while (reader.hasNext()) {
            String name = reader.nextName();
            expect(file, METADATA, reader, JsonToken.STRING, "a string for \"" + name + "\"");
            if (metadata.put(name, reader.nextString()) != null) {
                throw new WeightFileException(file, METADATA, "holds \"" + name + "\" twice");
            }
        }
        reader.endObject();
    }

    private record Entry(WeightType type, long[] shape, long elements, long begin, long end) {}

    private static Entry readEntry(Path file, String key, JsonReader reader) throws IOException {
        expect(file, key, reader, JsonToken.BEGIN_OBJECT, "an object with dtype, shape and data_offsets");
        WeightType type = null;
        List<Long> shape = null;
        List<Long> offsets = null;
        reader.beginObject();
        while (reader.hasNext()) {
            String field = reader.nextName();
            switch (field) {
                case "dtype" -> {
                    if (type != null) {
                        throw new WeightFileException(file, key, "has dtype twice");
                    }
                    expect(file, key, reader, JsonToken.STRING, "a string dtype");
                    String dtype = reader.nextString();
                    type = WeightType.of(dtype)
                            .orElseThrow(() -> new WeightFileException(file, key, "unknown dtype \"" + dtype + "\""));
                }
                case "shape" -> {
                    if (shape != null) {
                        throw new WeightFileException(file, key, "has shape twice");
                    }
                    shape = readNumbers(file, key, reader, "shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw new WeightFileException(file, key, "has data_offsets twice");
                    }
                    offsets = readNumbers(file, key, reader, "data_offsets");
                }
                default -> throw new WeightFileException(file, key, "unexpected field \"" + field + "\"");
            }
        }
        reader.endObject();
        if (type == null || shape == null || offsets == null) {
            throw new WeightFileException(file, key, "needs dtype, shape and data_offsets");
        }
        if (offsets.size() != 2) {
            throw new WeightFileException(file, key, "data_offsets must be [begin, end], not " + offsets);
        }
        long elements = 1;
        long[] dimensions = new long[shape.size()];
        for (int i = 0; i < dimensions.length; i++) {
            dimensions[i] = shape.get(i);
            try {
                elements = Math.multiplyExact(elements, dimensions[i]);
            } catch (ArithmeticException e) {
                throw new WeightFileException(file, key, "shape " + shape + " has more elements than a long counts");
            }
        }
        return new Entry(type, dimensions, elements, offsets.get(0), offsets.get(1));
    }

    private static List<Long> readNumbers(Path file, String key, JsonReader reader, String field) throws IOException {
        expect(file, key, reader, JsonToken.BEGIN_ARRAY, "an array for " + field);
        List<Long> numbers = new ArrayList<>();
        reader.beginArray();
        while (reader.hasNext()) {
            expect(file, key, reader, JsonToken.NUMBER, "whole numbers in " + field);
            String text = reader.nextString();
            long number;
            try {
                number = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new WeightFileException(file, key, field + " holds " + text + ", not a whole number in range");
            }
            if (number < 0) {
                throw new WeightFileException(file, key, field + " holds the negative number " + number);
            }
            numbers.add(number);
        }
        reader.endArray();
        return numbers;
    }

    /** The byte range [begin, end) in the data section, once it is known to fit it and the shape. */
    private static long[] checkEntry(Path file, String key, Entry entry, long dataBytes) throws WeightFileException {
        if (entry.end < entry.begin) {
            throw new WeightFileException(file, key, "data_offsets end " + entry.end + " before begin " + entry.begin);
        }
        if (entry.end > dataBytes) {
            throw new WeightFileException(
                    file,
                    key,
                    "data_offsets [" + entry.begin + ", " + entry.end + "] go past the end of the data section ("
                            + dataBytes + " bytes)");
        }
        long declared;
        try {
            declared = Math.multiplyExact(entry.elements, entry.type.bytes());
        } catch (ArithmeticException e) {
            throw new WeightFileException(file, key, "shape has more bytes than a long counts");
        }
        if (declared != entry.end - entry.begin) {
            throw new WeightFileException(
                    file,
                    key,
                    "shape " + Arrays.toString(entry.shape) + " of " + entry.type + " is " + declared
                            + " bytes, but data_offsets hold " + (entry.end - entry.begin));
        }
        return new long[] {entry.begin, entry.end};
    }

    private static void checkOverlaps(Path file, Map<String, long[]> ranges) throws WeightFileException {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(ranges.entrySet());
        sorted.removeIf(e -> e.getValue()[0] == e.getValue()[1]); // empty tensors take no bytes
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0]));
        for (int i = 1; i < sorted.size(); i++) {
            Map.Entry<String, long[]> previous = sorted.get(i - 1);
            Map.Entry<String, long[]> current = sorted.get(i);
            if (current.getValue()[0] < previous.getValue()[1]) {
                throw new WeightFileException(
                        file, current.getKey(), "overlaps the bytes of \"" + previous.getKey() + "\"");
            }
        }
    }

    private static void expect(Path file, String key, JsonReader reader, JsonToken token, String what)
            throws IOException {
        JsonToken actual = reader.peek();
        if (actual != token) {
            throw new WeightFileException(file, key, "expected " + what + ", found " + actual);
        }
    }

    /** A Gson failure as a user reads it: without its advice to programmers, its link and its JSON path. */
    static String jsonProblem(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("(?s)\\s*See https.*$", "")
                .replaceFirst("^[a-z.]+\\.[A-Za-z]+Exception: ", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .replaceFirst(" path \\$.*$", "");
    }
}
