package dev.sublinear.training.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads safetensors weights one tensor at a time: a single file, or a sharded set through its
 * {@code model.safetensors.index.json}. Opening reads and checks every header (and the index) before
 * any data, so that a malformed set fails at once; after that, {@link #tensors()} lists names, types
 * and shapes without touching data, and a read converts one tensor to float32 (F32 as is, F16 and
 * BF16 widened here, never by DJL) through one fixed buffer of {@link #DEFAULT_BUFFER_BYTES}. The
 * only allocation that grows with a tensor is the destination a read returns: a {@code float[]} of
 * exactly its elements, or the native memory of the NDArray. Offsets are longs: files and sets of
 * any size. One reader is for one thread at a time; it holds the files open until closed.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** The name transformers gives a model in one file. */
    public static final String SINGLE_FILE = "model.safetensors";

    /** The name transformers gives the index of a sharded model. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** The size of the one buffer data passes through. */
    public static final int DEFAULT_BUFFER_BYTES = 1 << 20;

    private final Path source;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, FileChannel> channels;
    private final ByteBuffer buffer;

    private SafetensorsReader(
            Path source,
            Map<String, String> metadata,
            Map<String, TensorInfo> tensors,
            Map<Path, FileChannel> channels,
            int bufferBytes) {
        this.source = source;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.channels = channels;
        this.buffer = ByteBuffer.allocate(bufferBytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Opens {@code path}: a {@code .safetensors} file, an index ({@code *.index.json}), or a folder
     * holding {@value #INDEX_FILE} (preferred) or {@value #SINGLE_FILE}.
     */
    public static SafetensorsReader open(Path path) throws IOException {
        return open(path, DEFAULT_BUFFER_BYTES);
    }

    static SafetensorsReader open(Path path, int bufferBytes) throws IOException {
        if (bufferBytes < 8 || bufferBytes % 8 != 0) {
            throw new IllegalArgumentException("buffer of " + bufferBytes + " bytes: a positive multiple of 8");
        }
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            Path single = path.resolve(SINGLE_FILE);
            if (Files.exists(index)) {
                return openIndex(index, bufferBytes);
            }
            if (Files.exists(single)) {
                return openFile(single, bufferBytes);
            }
            throw new WeightFileException(path, null, "holds neither " + INDEX_FILE + " nor " + SINGLE_FILE);
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return openIndex(path, bufferBytes);
        }
        return openFile(path, bufferBytes);
    }

    private static SafetensorsReader openFile(Path file, int bufferBytes) throws IOException {
        FileChannel channel = openChannel(file);
        try {
            SafetensorsHeader header = SafetensorsHeader.read(file, channel);
            return new SafetensorsReader(file, header.metadata(), header.tensors(), Map.of(file, channel), bufferBytes);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(List.of(channel), e);
            throw e;
        }
    }

    private static SafetensorsReader openIndex(Path index, int bufferBytes) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        Path folder = index.toAbsolutePath().getParent();
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        weightMap.forEach((name, shard) ->
                byShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(name));
        for (Map.Entry<String, List<String>> shard : byShard.entrySet()) {
            if (!Files.isRegularFile(folder.resolve(shard.getKey()))) {
                throw new WeightFileException(
                        index, shard.getValue().get(0), "is in shard " + shard.getKey() + ", which is missing");
            }
        }
        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, SafetensorsHeader> headers = new LinkedHashMap<>();
            for (String shard : byShard.keySet()) {
                Path file = folder.resolve(shard);
                FileChannel channel = openChannel(file);
                channels.put(file, channel);
                SafetensorsHeader header = SafetensorsHeader.read(file, channel);
                headers.put(shard, header);
                header.metadata().forEach(metadata::putIfAbsent);
            }
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                TensorInfo tensor = headers.get(entry.getValue()).tensors().get(entry.getKey());
                if (tensor == null) {
                    throw new WeightFileException(
                            folder.resolve(entry.getValue()),
                            entry.getKey(),
                            "the index places it in this shard, which does not hold it");
                }
                tensors.put(entry.getKey(), tensor);
            }
            return new SafetensorsReader(index, metadata, tensors, channels, bufferBytes);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(channels.values(), e);
            throw e;
        }
    }

    /** The index's {@code weight_map}, tensor name to shard file name, checked as JSON and as names. */
    private static Map<String, String> readWeightMap(Path index) throws IOException {
        Map<String, String> weightMap = null;
        String key = null;
        try (Reader text = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            JsonReader reader = new JsonReader(text);
            reader.setStrictness(Strictness.STRICT);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new WeightFileException(index, null, "is not a JSON object");
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String field = reader.nextName();
                if (!field.equals("weight_map")) {
                    reader.skipValue();
                    continue;
                }
                if (weightMap != null) {
                    throw new WeightFileException(index, "weight_map", "appears twice");
                }
                weightMap = new LinkedHashMap<>();
                if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                    throw new WeightFileException(index, "weight_map", "is not an object");
                }
                reader.beginObject();
                while (reader.hasNext()) {
                    key = reader.nextName();
                    if (reader.peek() != JsonToken.STRING) {
                        throw new WeightFileException(index, key, "names no shard file");
                    }
                    String shard = reader.nextString();
                    if (!isPlainFileName(shard)) {
                        throw new WeightFileException(index, key, "names \"" + shard + "\", not a file in this folder");
                    }
                    if (weightMap.put(key, shard) != null) {
                        throw new WeightFileException(index, key, "appears twice in weight_map");
                    }
                }
                reader.endObject();
                key = null;
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new WeightFileException(index, null, "has text after its JSON object");
            }
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new WeightFileException(index, key, "is not valid JSON: " + SafetensorsHeader.jsonProblem(e), e);
        }
        if (weightMap == null) {
            throw new WeightFileException(index, "weight_map", "is missing");
        }
        return weightMap;
    }

    private static boolean isPlainFileName(String name) {
        return !name.isEmpty()
                && !name.equals(".")
                && !name.equals("..")
                && name.indexOf('/') < 0
                && name.indexOf('\\') < 0
                && name.indexOf('\0') < 0;
    }

    private static FileChannel openChannel(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new WeightFileException(file, null, "cannot be opened: " + e.getMessage(), e);
        }
    }

    /** What was opened: the file, or the index of a sharded set. */
    public Path source() {
        return source;
    }

    /** The header's {@code __metadata__} (of the first shard that has each key, for a sharded set). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensors' names, in the order of the header (or of the index's {@code weight_map}). */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Every tensor's name, type and shape, read from the headers alone. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    /** The tensor called {@code name}; an {@link IllegalArgumentException} when there is none. */
    public TensorInfo tensor(String name) {
        TensorInfo tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException(source + " holds no tensor \"" + name + "\"");
        }
        return tensor;
    }

    /** The tensor as float32 in a new array of exactly its elements, row-major. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo tensor = readable(name);
        if (tensor.elementCount() > Integer.MAX_VALUE - 8) {
            throw new WeightFileException(
                    tensor.file(), name, tensor.elementCount() + " elements do not fit one Java array");
        }
        float[] values = new float[(int) tensor.elementCount()];
        readInto(tensor, FloatBuffer.wrap(values));
        return values;
    }

    /** Reads the tensor as float32 into {@code into} (a direct buffer keeps it off the heap). */
    public void read(String name, FloatBuffer into) throws IOException {
        TensorInfo tensor = readable(name);
        if (into.remaining() < tensor.elementCount()) {
            throw new IllegalArgumentException(
                    "room for " + into.remaining() + " floats, " + name + " has " + tensor.elementCount());
        }
        readInto(tensor, into);
    }

    /** The tensor as a float32 NDArray of its shape, made in {@code manager} from native memory. */
    public NDArray read(String name, NDManager manager) throws IOException {
        TensorInfo tensor = readable(name);
        long bytes = tensor.elementCount() * Float.BYTES;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new WeightFileException(
                    tensor.file(), name, bytes + " bytes as float32 do not fit one NDArray buffer");
        }
        ByteBuffer data = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        readInto(tensor, data.asFloatBuffer());
        return manager.create(data, new Shape(tensor.shape()), DataType.FLOAT32);
    }

    private TensorInfo readable(String name) throws WeightFileException {
        TensorInfo tensor = tensor(name);
        if (!tensor.type().convertsToFloat()) {
            throw new WeightFileException(tensor.file(), name, tensor.type() + " is not read as float32");
        }
        return tensor;
    }

    /** Streams the tensor's bytes through {@link #buffer}, converting each chunk into {@code into}. */
    private void readInto(TensorInfo tensor, FloatBuffer into) throws IOException {
        FileChannel channel = channels.get(tensor.file());
        long position = tensor.position();
        long left = tensor.byteLength();
        while (left > 0) {
            int chunk = (int) Math.min(buffer.capacity(), left);
            buffer.clear().limit(chunk);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    throw new WeightFileException(
                            tensor.file(),
                            tensor.name(),
                            "the file ended inside the tensor: changed since it was opened?");
                }
            }
            buffer.flip();
            convert(tensor.type(), buffer, into);
            position += chunk;
            left -= chunk;
        }
    }

    private static void convert(WeightType type, ByteBuffer bytes, FloatBuffer into) {
        switch (type) {
            case F32 -> into.put(bytes.asFloatBuffer());
            case F16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                while (halves.hasRemaining()) {
                    into.put(Float16.fromF16(halves.get()));
                }
            }
            case BF16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                while (halves.hasRemaining()) {
                    into.put(Float16.fromBf16(halves.get()));
                }
            }
            default -> throw new IllegalStateException(type + " is not read as float32");
        }
    }

    @Override
    public void close() throws IOException {
        CloseAll.close(channels.values());
    }

    private static void closeAfterFailure(Iterable<FileChannel> channels, Throwable failure) {
        for (FileChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
