package dev.sublinear.training.model;

import dev.sublinear.training.PrivateFiles;
import dev.sublinear.training.model.ModelArchive.InvalidArchiveException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A Hugging Face model folder as one upload: a zip or a tar.gz of {@code config.json}, the
 * {@code *.safetensors} weights and the tokenizer files, at the archive's top level or inside one
 * folder (people archive the folder itself: {@code gpt2/config.json}).
 *
 * <p>Archives come from users, so reading one trusts nothing. Only the {@linkplain #isKept kept names}
 * are written, under their plain file name, and nothing else ever reaches the disk: no paths, links,
 * devices or folders. Every other regular file a model folder commonly holds (README.md,
 * pytorch_model.bin, onnx/, .git/ ...) is read past and {@linkplain Extracted#skipped() listed}. Sizes
 * are counted on the bytes actually decompressed, never taken from headers, so a zip bomb stops at the
 * limit. Any refusal leaves the target folder empty: a half-extracted model never looks usable.
 *
 * <p>Zip is read with {@link ZipInputStream} (local headers, streaming: the central directory is never
 * needed, so an upload need not be stored first). Zip symlinks live in the central directory's external
 * attributes, which a streaming reader does not see: such an entry is read as a regular file whose
 * content is the link's target, which is harmless. Tar is read with commons-compress behind the JDK's
 * gzip reader (which skips the gzip header's file name instead of collecting it in memory).
 */
public final class PretrainedArchive {

    /** Names kept exactly (case-sensitive), besides the safetensors shards. */
    private static final Set<String> KEPT = Set.of(
            "config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "chat_template.jinja",
            "model.safetensors",
            "model.safetensors.index.json");

    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    /**
     * All bytes decompressed, skipped files included, may reach this many times the model limit: a
     * real folder's extras (pytorch_model.bin next to model.safetensors, onnx/ ...) are a few copies of
     * the weights, while a bomb hidden in a skipped file would otherwise cost unbounded CPU.
     */
    private static final long SCAN_FACTOR = 4;

    /** Longer entry names are refused: no model file has one, and skipped names are kept in memory. */
    private static final int MAX_NAME = 1024;

    /**
     * What commons-compress may read while looking for the next tar entry (headers, GNU long names, pax
     * records), which it collects in memory: a hostile "long name" must not fill the heap.
     */
    private static final long MAX_HEADER_BYTES = 1 << 20;

    private static final int BUFFER = 1 << 16;

    private PretrainedArchive() {}

    /**
     * How much an archive may unpack to.
     *
     * @param maxTotalBytes the most all kept files may take together
     * @param maxFileBytes the most one kept file may take
     * @param maxEntries the most entries (files, folders, skipped ones included) an archive may have
     */
    public record Limits(long maxTotalBytes, long maxFileBytes, int maxEntries) {
        public Limits {
            if (maxTotalBytes <= 0 || maxFileBytes <= 0 || maxEntries <= 0) {
                throw new IllegalArgumentException(
                        "limits must be positive: " + maxTotalBytes + ", " + maxFileBytes + ", " + maxEntries);
            }
        }
    }

    /**
     * What {@link #extract} wrote.
     *
     * @param files the kept file names, now in the target folder, sorted
     * @param skipped the entry names of the regular files read past, as the archive spells them, in order
     * @param bytes what the kept files take together
     */
    public record Extracted(List<String> files, List<String> skipped, long bytes) {
        public Extracted {
            files = List.copyOf(files);
            skipped = List.copyOf(skipped);
        }
    }

    /**
     * Whether {@code fileName} is a file {@link #extract} keeps: the configuration, tokenizer files and
     * safetensors weights (one file, or {@code model-00001-of-00003.safetensors} shards and their index).
     */
    public static boolean isKept(String fileName) {
        return KEPT.contains(fileName) || SHARD.matcher(fileName).matches();
    }

    /**
     * Extracts the model files of a zip or tar.gz (told apart by their first bytes) into {@code directory}
     * (created 0700 if absent; it must be empty), each file 0600: they are a tenant's data. Does not
     * close {@code in}.
     *
     * @throws InvalidArchiveException what is wrong with the archive, in plain words; the folder is then
     *     left empty (and removed if this call created it)
     * @throws IOException reading {@code in} or writing the folder failed (not the archive's fault, as
     *     far as can be told); the folder is cleaned up the same way
     */
    public static Extracted extract(InputStream in, Path directory, Limits limits) throws IOException {
        boolean created = Files.notExists(directory, LinkOption.NOFOLLOW_LINKS);
        if (!created) {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(directory + " is not a folder");
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
                if (entries.iterator().hasNext()) {
                    throw new IOException(directory + " is not empty");
                }
            }
        }
        PrivateFiles.createFolders(directory);
        Extraction extraction = new Extraction(directory, limits);
        try {
            extraction.readArchive(in);
            return extraction.result();
        } catch (IOException | RuntimeException | Error e) {
            extraction.removeWritten(created, e);
            throw e;
        }
    }

    /**
     * Writes the regular files at the top level of {@code directory}, sorted by name, as a zip (an
     * export download that {@link #extract} reads back). Safetensors are stored, not deflated: weights
     * barely compress, and deflating gigabytes would cost minutes of CPU for a few percent; their CRC
     * is computed in a first pass, as a stored entry needs it up front. Other files are deflated. Does
     * not close {@code out}.
     */
    public static void zip(Path directory, OutputStream out) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparing(path -> path.getFileName().toString()))
                    .toList();
        }
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Path file : files) {
            String name = file.getFileName().toString();
            ZipEntry entry = new ZipEntry(name);
            entry.setTime(Files.getLastModifiedTime(file).toMillis());
            if (name.endsWith(".safetensors")) {
                long size = Files.size(file);
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(size);
                entry.setCompressedSize(size);
                entry.setCrc(crc(file));
            }
            zip.putNextEntry(entry);
            Files.copy(file, zip);
            zip.closeEntry();
        }
        zip.finish();
    }

    private static long crc(Path file) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) != -1) {
                crc.update(buffer, 0, n);
            }
        }
        return crc.getValue();
    }

    /** One entry as the archive declares it; {@code refusal} says why its type is not acceptable. */
    private record Entry(String name, boolean directory, String refusal) {}

    /** The entries of one archive format, read in order. */
    private interface Entries {
        /** The next entry, or null at the end. */
        Entry next() throws IOException;

        /** The current entry's bytes, up to its end. */
        InputStream data();

        /** What follows the last entry and still belongs to the archive (checksums), to read through. */
        InputStream rest();
    }

    /** One extraction's state, so that a failure knows what to remove. */
    private static final class Extraction {
        private final Path directory;
        private final Limits limits;
        private final long scanLimit;
        private final byte[] buffer = new byte[BUFFER];
        private final List<Path> written = new ArrayList<>();
        private final Set<String> files = new TreeSet<>();
        private final List<String> skipped = new ArrayList<>();
        private int entries;
        private long keptBytes;
        private long scannedBytes;
        /** Where the kept files are: "" for the archive's top level, else the one folder's name. */
        private String place;

        private String placeEntry;

        Extraction(Path directory, Limits limits) {
            this.directory = directory;
            this.limits = limits;
            this.scanLimit = limits.maxTotalBytes() > Long.MAX_VALUE / SCAN_FACTOR
                    ? Long.MAX_VALUE
                    : limits.maxTotalBytes() * SCAN_FACTOR;
        }

        void readArchive(InputStream raw) throws IOException {
            BufferedInputStream in = new BufferedInputStream(new Unclosed(raw), BUFFER);
            in.mark(4);
            byte[] magic = in.readNBytes(4);
            in.reset();
            if (magic.length == 0) {
                throw new InvalidArchiveException("the archive is empty");
            }
            if (magic.length == 4
                    && magic[0] == 'P'
                    && magic[1] == 'K'
                    && ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6))) {
                // PK\3\4 starts an entry; PK\5\6 is the end record an empty zip consists of
                try (ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
                    readAll(zipEntries(zip));
                }
            } else if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                HeaderBudget tarBytes;
                try {
                    tarBytes = new HeaderBudget(new GZIPInputStream(in, BUFFER));
                } catch (IOException e) {
                    throw corrupt(e);
                }
                try (TarArchiveInputStream tar = new TarArchiveInputStream(tarBytes, "UTF-8")) {
                    readAll(tarEntries(tar, tarBytes));
                }
            } else {
                throw new InvalidArchiveException("not a zip or tar.gz archive");
            }
            if (entries == 0) {
                throw new InvalidArchiveException("the archive is empty");
            }
            if (files.isEmpty()) {
                throw new InvalidArchiveException("the archive holds no model files (config.json, model.safetensors,"
                        + " tokenizer.json ...) at its top level or in one folder");
            }
        }

        Extracted result() {
            return new Extracted(new ArrayList<>(files), skipped, keptBytes);
        }

        private void readAll(Entries archive) throws IOException {
            Entry entry;
            while ((entry = next(archive)) != null) {
                entries++;
                if (entries > limits.maxEntries()) {
                    throw new InvalidArchiveException(
                            "the archive has more than " + limits.maxEntries() + " entries (files and folders)");
                }
                take(entry, archive.data());
            }
            drain(archive.rest());
        }

        private void take(Entry entry, InputStream data) throws IOException {
            String name = entry.name();
            List<String> segments = segments(name);
            if (entry.refusal() != null) {
                throw new InvalidArchiveException("entry " + quote(name) + " " + entry.refusal());
            }
            if (entry.directory()) {
                drain(data); // folders are never created: the kept files all land in the target folder
                return;
            }
            if (segments.isEmpty()) {
                throw new InvalidArchiveException("entry " + quote(name) + " is a file without a name");
            }
            String fileName = segments.get(segments.size() - 1);
            if (segments.size() > 2 || !isKept(fileName)) {
                skipped.add(name);
                drain(data);
                return;
            }
            String where = segments.size() == 2 ? segments.get(0) : "";
            if (place == null) {
                place = where;
                placeEntry = name;
            } else if (!place.equals(where)) {
                throw new InvalidArchiveException(
                        "entry " + quote(name) + ": the archive holds model files in two places, "
                                + describe(place) + " (" + quote(placeEntry) + ") and " + describe(where)
                                + "; put them all at its top level or all in one folder");
            }
            if (!files.add(fileName)) {
                throw new InvalidArchiveException("entry " + quote(name) + ": " + fileName + " appears twice");
            }
            copy(data, directory.resolve(fileName), name);
        }

        private void copy(InputStream data, Path target, String name) throws IOException {
            written.add(target); // before it exists, so that a failure while writing removes it
            long fileBytes = 0;
            try (OutputStream out = PrivateFiles.createFile(target)) {
                int n;
                while ((n = read(data)) != -1) {
                    scanned(n);
                    fileBytes += n;
                    keptBytes += n;
                    if (fileBytes > limits.maxFileBytes()) {
                        throw new InvalidArchiveException("entry " + quote(name) + " unpacks to more than "
                                + limits.maxFileBytes() + " bytes, the most one file may take");
                    }
                    if (keptBytes > limits.maxTotalBytes()) {
                        throw new InvalidArchiveException("the model files unpack to more than "
                                + limits.maxTotalBytes() + " bytes, the most they may take together (at entry "
                                + quote(name) + ")");
                    }
                    out.write(buffer, 0, n);
                }
            }
        }

        private void drain(InputStream data) throws IOException {
            int n;
            while ((n = read(data)) != -1) {
                scanned(n);
            }
        }

        private void scanned(int n) throws InvalidArchiveException {
            scannedBytes += n;
            if (scannedBytes > scanLimit) {
                throw new InvalidArchiveException("the archive unpacks to more than " + scanLimit
                        + " bytes, counting the files it skips: far more than a model of at most "
                        + limits.maxTotalBytes() + " bytes comes with");
            }
        }

        private int read(InputStream data) throws IOException {
            try {
                return data.read(buffer);
            } catch (InvalidArchiveException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(e);
            }
        }

        private static Entry next(Entries archive) throws IOException {
            try {
                return archive.next();
            } catch (InvalidArchiveException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(e);
            }
        }

        void removeWritten(boolean created, Throwable failure) {
            for (int i = written.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(written.get(i));
                } catch (IOException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            if (created) {
                try {
                    Files.deleteIfExists(directory);
                } catch (IOException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    private static Entries zipEntries(ZipInputStream zip) {
        return new Entries() {
            @Override
            public Entry next() throws IOException {
                ZipEntry entry = zip.getNextEntry();
                return entry == null ? null : new Entry(entry.getName(), entry.isDirectory(), null);
            }

            @Override
            public InputStream data() {
                return zip;
            }

            @Override
            public InputStream rest() {
                // the central directory repeats what the local headers said, and each entry's CRC is checked
                return InputStream.nullInputStream();
            }
        };
    }

    private static Entries tarEntries(TarArchiveInputStream tar, HeaderBudget tarBytes) {
        return new Entries() {
            @Override
            public Entry next() throws IOException {
                tarBytes.limit(MAX_HEADER_BYTES);
                TarArchiveEntry entry = tar.getNextEntry();
                tarBytes.limit(Long.MAX_VALUE);
                return entry == null ? null : new Entry(entry.getName(), entry.isDirectory(), refusal(entry));
            }

            @Override
            public InputStream data() {
                return tar;
            }

            @Override
            public InputStream rest() {
                // the gzip trailer (CRC and length) comes after the tar's end: read to it, so a cut is seen
                return tarBytes;
            }
        };
    }

    /** Why a tar entry's type is refused, or null for a regular file or folder. */
    private static String refusal(TarArchiveEntry entry) {
        if (entry.isSymbolicLink()) {
            return "is a symbolic link (to " + quote(entry.getLinkName()) + "); archive the files themselves"
                    + " (tar -h), e.g. of a Hugging Face cache snapshot, whose files are links";
        }
        if (entry.isLink()) {
            return "is a hard link (to " + quote(entry.getLinkName()) + "); archive the files themselves";
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            return "is a device, not a file";
        }
        if (entry.isFIFO()) {
            return "is a named pipe, not a file";
        }
        if (entry.isDirectory()) {
            return null;
        }
        if (entry.isSparse()) {
            return "is a sparse file, which is not supported";
        }
        byte type = entry.getLinkFlag();
        if (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG) {
            return null;
        }
        return "has tar entry type '" + (char) type + "', which is not a regular file or folder";
    }

    /**
     * The folders and file name of an entry, without "." and empty segments ({@code ./config.json} is
     * common in tar); refuses names that could reach outside the target folder or that no model file has.
     */
    private static List<String> segments(String name) throws InvalidArchiveException {
        if (name.isEmpty()) {
            throw new InvalidArchiveException("an entry has an empty name");
        }
        if (name.length() > MAX_NAME) {
            throw new InvalidArchiveException(
                    "entry " + quote(name) + " has a name longer than " + MAX_NAME + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidArchiveException("entry " + quote(name) + " has a control character in its name");
            }
            if (c == '\\') {
                throw new InvalidArchiveException(
                        "entry " + quote(name) + " has a backslash in its name (archives separate folders with /)");
            }
        }
        if (name.startsWith("/")) {
            throw new InvalidArchiveException("entry " + quote(name) + " has an absolute path");
        }
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) {
            throw new InvalidArchiveException("entry " + quote(name) + " starts with a drive letter");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw new InvalidArchiveException("entry " + quote(name) + " goes up a folder ('..')");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        return segments;
    }

    private static String describe(String place) {
        return place.isEmpty() ? "at its top level" : "in folder '" + place + "/'";
    }

    /** A name for a message: quoted, control characters shown as escapes, cut short when long. */
    private static String quote(String name) {
        StringBuilder quoted = new StringBuilder("'");
        int shown = Math.min(name.length(), 200);
        for (int i = 0; i < shown; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append(name.length() > shown ? "...'" : "'").toString();
    }

    private static InvalidArchiveException corrupt(Exception e) {
        String detail = e.getMessage() != null
                ? e.getMessage()
                : e instanceof EOFException
                        ? "unexpected end of data"
                        : e.getClass().getSimpleName();
        InvalidArchiveException invalid = new InvalidArchiveException("truncated or corrupt archive (" + detail + ")");
        invalid.initCause(e);
        return invalid;
    }

    /** The caller's stream, which closing the archive readers must not close. */
    private static final class Unclosed extends FilterInputStream {
        Unclosed(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the caller's to close
        }
    }

    /**
     * The decompressed tar, with a cap on what may be read while commons-compress looks for the next
     * entry: that is headers, long names and pax records, which it holds in memory.
     */
    private static final class HeaderBudget extends FilterInputStream {
        private long left = Long.MAX_VALUE;

        HeaderBudget(InputStream in) {
            super(in);
        }

        void limit(long bytes) {
            left = bytes;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b != -1) {
                spend(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                spend(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            spend(skipped);
            return skipped;
        }

        private void spend(long bytes) throws InvalidArchiveException {
            if (left == Long.MAX_VALUE) {
                return;
            }
            left -= bytes;
            if (left < 0) {
                throw new InvalidArchiveException(
                        "a tar entry's headers (long name, pax records) take more than " + MAX_HEADER_BYTES + " bytes");
            }
        }
    }
}
