package dev.sublinear.jobs.common;

import java.security.SecureRandom;

/** Opaque prefixed ids ({@code file-…}, {@code ftjob-…}, {@code ftckpt-…}): 120 random bits. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private Ids() {}

    public static String next(String prefix) {
        StringBuilder b = new StringBuilder(prefix).append('-');
        for (int i = 0; i < 24; i++) {
            b.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return b.toString();
    }
}
