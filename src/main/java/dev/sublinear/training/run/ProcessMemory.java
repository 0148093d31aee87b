package dev.sublinear.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory: Java heap, native allocations and libtorch together. */
final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    /** Reading procfs costs a fraction of a millisecond: sample at most this often. */
    private static final long SAMPLE_NANOS = 1_000_000_000L;
    private static long sampledAt = Long.MIN_VALUE;
    private static long sampled = -1;

    private ProcessMemory() {}

    /** Resident bytes (sampled at most once a second), or -1 where the platform does not say. */
    static synchronized long residentBytes() {
        long now = System.nanoTime();
        if (sampledAt == Long.MIN_VALUE || now - sampledAt > SAMPLE_NANOS) {
            sampled = read();
            sampledAt = now;
        }
        return sampled;
    }

    private static long read() {
        if (!Files.isReadable(STATUS)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
