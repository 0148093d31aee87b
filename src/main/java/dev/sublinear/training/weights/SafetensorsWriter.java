package dev.sublinear.training.weights;

import com.google.gson.stream.JsonWriter;
import dev.sublinear.storage.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes safetensors weights one tensor at a time. The tensors are declared first ({@link #add}),
 * so that each file's header is known before its data; {@link #write} then asks a {@link
 * TensorSource} for each tensor's float32 values in turn and narrows them to the declared type
 * (F16 and BF16 round to nearest, ties to even, as torch does). Headers are padded with spaces to a
 * multiple of 8 and carry {@code "__metadata__": {"format": "pt"}}, as transformers writes them.
 * Past {@link #maxShardBytes} of tensor data a folder's model is split into shards, as
 * transformers' {@code max_shard_size} does (a tensor larger than the limit has a shard of its own),
 * with {@value SafetensorsReader#INDEX_FILE}. Every file goes through {@link AtomicFiles}: all are
 * written and forced to disk before the first is renamed into place, the index last.
 */
public final class SafetensorsWriter {

    /** transformers' default {@code max_shard_size}, "5GB". */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final int BUFFER_BYTES = 1 << 20;
    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    /** The float32 values of each declared tensor, asked for once, in declaration order. */
    @FunctionalInterface
    public interface TensorSource {
        /** Exactly the tensor's elements, row-major, from the buffer's position to its limit. */
        FloatBuffer values(String name) throws IOException;
    }

    private record Declared(String name, WeightType type, long[] shape, long bytes) {}

    private final WeightType type;
    private final Map<String, Declared> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private long maxShardBytes = DEFAULT_MAX_SHARD_BYTES;

    /** A writer whose tensors are {@code type} unless {@link #add(String, WeightType, long...)} says otherwise. */
    public SafetensorsWriter(WeightType type) {
        this.type = writable(type);
        metadata.put("format", "pt");
    }

    /** The most tensor data a shard holds before the next starts; a larger tensor has a shard alone. */
    public SafetensorsWriter maxShardBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("max shard size " + bytes + ": at least 1 byte");
        }
        this.maxShardBytes = bytes;
        return this;
    }

    /** Adds (or replaces) a {@code __metadata__} entry; {@code format} is {@code pt} unless replaced. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Declares the next tensor, of the writer's type. */
    public SafetensorsWriter add(String name, long... shape) {
        return add(name, type, shape);
    }

    /** Declares the next tensor, of {@code tensorType}. */
    public SafetensorsWriter add(String name, WeightType tensorType, long... shape) {
        if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA)) {
            throw new IllegalArgumentException("\"" + name + "\" cannot name a tensor");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException(name + " is declared already");
        }
        long elements = 1;
        for (long dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException(name + " has a negative dimension");
            }
            elements = Math.multiplyExact(elements, dimension);
        }
        writable(tensorType);
        tensors.put(
                name, new Declared(name, tensorType, shape.clone(), Math.multiplyExact(elements, tensorType.bytes())));
        return this;
    }

    /** Writes every declared tensor to {@code file}, one file whatever its size. */
    public void writeFile(Path file, TensorSource source) throws IOException {
        AtomicFiles.write(file, out -> writeShard(out, List.copyOf(tensors.values()), source));
    }

    /**
     * Writes every declared tensor into {@code folder}: {@value SafetensorsReader#SINGLE_FILE} when they
     * fit one shard, else {@code model-00001-of-0000N.safetensors} and the index. Model files of an
     * earlier write that this one does not replace (other shards, an index, a single file) are deleted
     * afterwards, so that the folder holds one model. Returns the files written, the index last.
     */
    public List<Path> write(Path folder, TensorSource source) throws IOException {
        List<List<Declared>> shards = plan();
        List<String> names = new ArrayList<>();
        if (shards.size() == 1) {
            names.add(SafetensorsReader.SINGLE_FILE);
        } else {
            for (int i = 1; i <= shards.size(); i++) {
                names.add(String.format("model-%05d-of-%05d.safetensors", i, shards.size()));
            }
        }
        List<AtomicFiles.Staged> staged = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        try {
            for (int i = 0; i < shards.size(); i++) {
                List<Declared> shard = shards.get(i);
                Path file = folder.resolve(names.get(i));
                staged.add(AtomicFiles.stage(file, out -> writeShard(out, shard, source)));
                written.add(file);
            }
            if (shards.size() > 1) {
                byte[] index = index(shards, names);
                Path file = folder.resolve(SafetensorsReader.INDEX_FILE);
                staged.add(AtomicFiles.stage(file, out -> out.write(index)));
                written.add(file);
            }
            for (AtomicFiles.Staged file : staged) {
                file.commit();
            }
        } finally {
            closeAll(staged);
        }
        deleteStale(folder, written);
        return List.copyOf(written);
    }

    /**
     * Declared tensors in shards, in declaration order: a new shard when the next tensor would pass the
     * limit, so that a tensor larger than the limit is alone in its shard. (huggingface_hub puts such a
     * tensor in a shard of its own as well, but ahead of the shard being filled; here files and the
     * index keep the declaration order, and the source is asked for tensors in that order.)
     */
    private List<List<Declared>> plan() {
        List<List<Declared>> shards = new ArrayList<>();
        List<Declared> current = new ArrayList<>();
        long currentBytes = 0;
        for (Declared tensor : tensors.values()) {
            if (!current.isEmpty() && currentBytes + tensor.bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(tensor);
            currentBytes += tensor.bytes;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    private void writeShard(OutputStream out, List<Declared> shard, TensorSource source) throws IOException {
        out.write(header(shard));
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (Declared tensor : shard) {
            FloatBuffer values = source.values(tensor.name);
            long elements = tensor.bytes / tensor.type.bytes();
            if (values.remaining() != elements) {
                throw new IllegalArgumentException(
                        tensor.name + " has " + elements + " elements, the source gave " + values.remaining());
            }
            while (values.hasRemaining()) {
                buffer.clear();
                while (values.hasRemaining() && buffer.remaining() >= tensor.type.bytes()) {
                    float value = values.get();
                    switch (tensor.type) {
                        case F32 -> buffer.putFloat(value);
                        case F16 -> buffer.putShort(Float16.toF16(value));
                        case BF16 -> buffer.putShort(Float16.toBf16(value));
                        default -> throw new IllegalStateException(tensor.type + " is not written from float32");
                    }
                }
                out.write(buffer.array(), 0, buffer.position());
            }
        }
    }

    /** The 8-byte length and the JSON header, padded with spaces to a multiple of 8. */
    private byte[] header(List<Declared> shard) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            json.name(SafetensorsHeader.METADATA).beginObject();
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                json.name(entry.getKey()).value(entry.getValue());
            }
            json.endObject();
            long offset = 0;
            for (Declared tensor : shard) {
                json.name(tensor.name).beginObject();
                json.name("dtype").value(tensor.type.name());
                json.name("shape").beginArray();
                for (long dimension : tensor.shape) {
                    json.value(dimension);
                }
                json.endArray();
                json.name("data_offsets")
                        .beginArray()
                        .value(offset)
                        .value(offset + tensor.bytes)
                        .endArray();
                json.endObject();
                offset += tensor.bytes;
            }
            json.endObject();
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (body.length + 7) / 8 * 8;
        ByteBuffer header = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(padded).put(body);
        while (header.hasRemaining()) {
            header.put((byte) ' ');
        }
        return header.array();
    }

    private static byte[] index(List<List<Declared>> shards, List<String> names) {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            long total = 0;
            for (List<Declared> shard : shards) {
                for (Declared tensor : shard) {
                    total += tensor.bytes;
                }
            }
            json.beginObject();
            json.name("metadata").beginObject().name("total_size").value(total).endObject();
            json.name("weight_map").beginObject();
            for (int i = 0; i < shards.size(); i++) {
                for (Declared tensor : shards.get(i)) {
                    json.name(tensor.name).value(names.get(i));
                }
            }
            json.endObject();
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteStale(Path folder, List<Path> written) throws IOException {
        List<Path> kept = written.stream().map(Path::getFileName).toList();
        for (Path file : AtomicFiles.list(folder)) {
            Path name = file.getFileName();
            boolean model = name.toString().equals(SafetensorsReader.SINGLE_FILE)
                    || name.toString().equals(SafetensorsReader.INDEX_FILE)
                    || SHARD_NAME.matcher(name.toString()).matches();
            if (model && !kept.contains(name)) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static void closeAll(List<AtomicFiles.Staged> staged) throws IOException {
        CloseAll.close(staged);
    }

    private static WeightType writable(WeightType type) {
        if (!type.convertsToFloat()) {
            throw new IllegalArgumentException(type + " is not written from float32: F32, F16 or BF16");
        }
        return type;
    }
}
