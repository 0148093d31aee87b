package dev.sublinear.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Real filesystem conditions for tests: a small tmpfs that can be remounted read-only. The suite
 * runs as root, for whom permission bits stop no write; a read-only mount stops root too. Needs
 * mount(8) and the right to mount (root in a container that allows it): see {@link #available}.
 */
public final class Mounts {

    private Mounts() {}

    /** Whether a tmpfs can be mounted and remounted read-only here (tried on a scratch folder). */
    public static boolean available(Path scratch) {
        try {
            Files.createDirectories(scratch);
            if (!attempt("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", scratch.toString())) {
                return false;
            }
            boolean remounts = attempt("mount", "-o", "remount,ro", scratch.toString());
            attempt("umount", "-l", scratch.toString());
            return remounts;
        } catch (IOException e) {
            return false;
        }
    }

    /** Mounts a fresh tmpfs of {@code size} (e.g. "64m") on {@code at}, writable. */
    public static void tmpfs(Path at, String size) throws IOException {
        Files.createDirectories(at);
        run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    }

    /**
     * Makes the mount read-only. The kernel refuses while a file on it is open for writing (a
     * checkpoint being written), so this retries for a while.
     */
    public static void readOnly(Path at) throws IOException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!attempt("mount", "-o", "remount,ro", at.toString())) {
            if (System.nanoTime() > deadline) {
                run("mount", "-o", "remount,ro", at.toString());
            }
            ServiceClient.sleep(20);
        }
    }

    public static void writable(Path at) throws IOException {
        run("mount", "-o", "remount,rw", at.toString());
    }

    public static void unmount(Path at) throws IOException {
        run("umount", "-l", at.toString());
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = waitFor(p);
        if (rc != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + rc + ": " + out);
        }
    }

    private static boolean attempt(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return waitFor(p) == 0;
    }

    private static int waitFor(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
