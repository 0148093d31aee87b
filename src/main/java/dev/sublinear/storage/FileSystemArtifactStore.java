package dev.sublinear.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Artifacts as files under a root folder, each written with {@link AtomicFiles} (a temporary file
 * beside its target, forced to disk, renamed over it); its SHA-256 is kept in a sidecar file written
 * the same way.
 * Tenants' data: folders are created 0700 and files 0600 (on POSIX file systems), so that no other
 * local user reads them.
 */
public final class FileSystemArtifactStore implements ArtifactStore {

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final String CHECKSUM_SUFFIX = ".sha256";
    private static final int MAX_KEY_LENGTH = 512;

    private static final Set<PosixFilePermission> PRIVATE_FOLDER = PosixFilePermissions.fromString("rwx------");

    private final Path root;
    private final boolean posix;

    /** Uses {@code root}, created 0700 if absent; an existing root of this user is narrowed to 0700. */
    public FileSystemArtifactStore(Path root) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        this.posix = absolute.getFileSystem().supportedFileAttributeViews().contains("posix");
        this.root = createFolders(absolute);
        if (posix) {
            narrowRoot();
        }
    }

    /** An older version created the root 0755; narrowed when this user owns it (not someone else's mount). */
    private void narrowRoot() {
        try {
            Path probe = AtomicFiles.createTemporary(root);
            try {
                if (Files.getOwner(probe).equals(Files.getOwner(root))) {
                    Files.setPosixFilePermissions(root, PRIVATE_FOLDER);
                }
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException e) {
            // read-only or not ours: left as it is; readiness reports a store that cannot be written
        }
    }

    @Override
    public ArtifactInfo put(String key, InputStream content, long maxBytes) throws IOException {
        return write(key, content::transferTo, maxBytes);
    }

    /** The data first, then its checksum, then the data is renamed: an artifact is never seen without its checksum. */
    @Override
    public ArtifactInfo write(String key, AtomicFiles.Content content, long maxBytes) throws IOException {
        Path target = resolve(key);
        createFolders(target.getParent());
        MessageDigest digest = sha256();
        try (AtomicFiles.Staged data = AtomicFiles.stage(
                target, out -> content.writeTo(new DigestOutputStream(new Capped(out, key, maxBytes), digest)))) {
            String checksum = HexFormat.of().formatHex(digest.digest());
            AtomicFiles.write(checksumFile(target), out -> out.write(checksum.getBytes(StandardCharsets.US_ASCII)));
            data.commit();
            return new ArtifactInfo(
                    key,
                    data.bytes(),
                    checksum,
                    Files.getLastModifiedTime(target).toInstant());
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        return Files.newInputStream(resolve(key));
    }

    @Override
    public Optional<ArtifactInfo> info(String key) throws IOException {
        Path file = resolve(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(info(key, file));
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path file = resolve(key);
        Files.deleteIfExists(checksumFile(file));
        return Files.deleteIfExists(file);
    }

    @Override
    public List<ArtifactInfo> list(String prefix) throws IOException {
        if (!prefix.isEmpty()) {
            validate(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        }
        // only the prefix's folder: a listing never reads what other jobs and workers write elsewhere
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        List<ArtifactInfo> found = new ArrayList<>();
        if (!Files.isDirectory(start)) {
            return found;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                String name = file.getFileName().toString();
                if (!attributes.isRegularFile() || AtomicFiles.isTemporary(file) || name.endsWith(CHECKSUM_SUFFIX)) {
                    return FileVisitResult.CONTINUE;
                }
                String key = root.relativize(file).toString().replace('\\', '/');
                if (key.startsWith(prefix)) {
                    try {
                        found.add(info(key, file));
                    } catch (NoSuchFileException e) {
                        // deleted since it was listed: not there any more
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // a temporary file renamed, or an artifact deleted, mid-walk
                }
                throw e;
            }
        });
        found.sort((a, b) -> a.key().compareTo(b.key()));
        return found;
    }

    @Override
    public boolean writable() {
        try {
            Files.delete(AtomicFiles.createTemporary(root));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Temporary files of writes never finished (a process killed mid-upload leaves one as large as
     * what it had received): a write in progress keeps its file's modification time current.
     * Keys in the answer are paths relative to the root.
     */
    @Override
    public List<ArtifactInfo> deleteAbandonedWrites(Instant before) throws IOException {
        List<ArtifactInfo> deleted = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile()
                        && AtomicFiles.isTemporary(file)
                        && attributes.lastModifiedTime().toInstant().isBefore(before)
                        && Files.deleteIfExists(file)) {
                    deleted.add(new ArtifactInfo(
                            root.relativize(file).toString().replace('\\', '/'),
                            attributes.size(),
                            null,
                            attributes.lastModifiedTime().toInstant()));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // renamed or deleted by a writer meanwhile
                }
                throw e;
            }
        });
        return deleted;
    }

    /** Creates a folder and its missing parents, each 0700 (private to this user). */
    private Path createFolders(Path folder) throws IOException {
        if (!posix || Files.isDirectory(folder)) {
            return Files.createDirectories(folder);
        }
        return Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PRIVATE_FOLDER));
    }

    private ArtifactInfo info(String key, Path file) throws IOException {
        Path checksumFile = checksumFile(file);
        String checksum =
                Files.exists(checksumFile) ? Files.readString(checksumFile).trim() : null;
        return new ArtifactInfo(
                key, Files.size(file), checksum, Files.getLastModifiedTime(file).toInstant());
    }

    /** The file of a key; refuses keys that could leave the root. */
    private Path resolve(String key) {
        validate(key);
        Path file = root.resolve(key).normalize();
        if (!file.startsWith(root) || file.equals(root)) {
            throw new IllegalArgumentException("invalid artifact key '" + key + "'");
        }
        return file;
    }

    private static void validate(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("invalid artifact key: empty or longer than " + MAX_KEY_LENGTH);
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.endsWith(CHECKSUM_SUFFIX)) {
                throw new IllegalArgumentException("invalid artifact key '" + key + "': segment '" + segment
                        + "' must be letters, digits, '.', '_' or '-', not start with '.' or '-'");
            }
        }
    }

    private static Path checksumFile(Path file) {
        return file.resolveSibling(file.getFileName() + CHECKSUM_SUFFIX);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Refuses the byte past {@code maxBytes}: an artifact too large is never stored. */
    private static final class Capped extends FilterOutputStream {

        private final String key;
        private final long maxBytes;
        private long written;

        Capped(OutputStream out, String key, long maxBytes) {
            super(out);
            this.key = key;
            this.maxBytes = maxBytes;
        }

        @Override
        public void write(int b) throws IOException {
            count(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count(len);
            out.write(b, off, len);
        }

        private void count(int bytes) throws ArtifactTooLargeException {
            if (bytes > maxBytes - written) {
                throw new ArtifactTooLargeException(key, maxBytes);
            }
            written += bytes;
        }
    }
}
