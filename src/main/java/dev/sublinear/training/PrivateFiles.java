package dev.sublinear.training;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Folders and files that hold a tenant's data (training inputs, unpacked weights): readable by this
 * user only, 0700 and 0600, from the moment they exist. Other file systems get the defaults.
 */
public final class PrivateFiles {

    private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PrivateFiles() {}

    /**
     * Creates a folder and its missing parents 0700; the folder itself, if it was there, is
     * narrowed to 0700 (an older version made it 0755). Existing parents are left as they are.
     */
    public static Path createFolders(Path folder) throws IOException {
        if (!posix(folder)) {
            return Files.createDirectories(folder);
        }
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(FOLDER));
        }
        Files.setPosixFilePermissions(folder, FOLDER);
        return folder;
    }

    /** Opens a new file (it must not exist) for writing, 0600. */
    public static OutputStream createFile(Path file) throws IOException {
        if (!posix(file)) {
            return Files.newOutputStream(file, StandardOpenOption.CREATE_NEW);
        }
        Files.createFile(file, FILE);
        return Files.newOutputStream(file, StandardOpenOption.WRITE);
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
