package dev.sublinear.training.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory: Java heap, native allocations and libtorch together. */
final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    /** Bytes per page of statm's counts, or -1 where the platform does not say. */
    private static final long PAGE_BYTES = pageBytes();

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

    /**
     * Resident bytes now, or -1 where the platform does not say. From {@code statm}, one short
     * line of numbers rather than {@code status}'s many labelled ones, so that it is cheap enough to
     * read after every micro-batch.
     */
    static long residentBytesNow() {
        if (PAGE_BYTES <= 0) {
            return -1;
        }
        try {
            String statm = Files.readString(STATM);
            int from = statm.indexOf(' ') + 1;
            int to = statm.indexOf(' ', from);
            return Long.parseLong(statm.substring(from, to)) * PAGE_BYTES;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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

    /** The kernel's page size, from the first mapping of {@code smaps} (Java has no API for it). */
    private static long pageBytes() {
        if (!Files.isReadable(SMAPS) || !Files.isReadable(STATM)) {
            return -1;
        }
        try (BufferedReader in = Files.newBufferedReader(SMAPS)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("KernelPageSize:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
