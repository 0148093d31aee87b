package dev.sublinear.jobs.tenants;

import java.util.Locale;
import java.util.Set;

/**
 * What an operator-chosen admin key must be: long and varied enough that guessing it is hopeless
 * (the generated keys are 43 characters of 62 symbols), printable ASCII, and no well-known word.
 */
final class AdminKeyPolicy {

    static final int MIN_LENGTH = 24;
    static final int MIN_DISTINCT = 10;
    private static final Set<String> KNOWN = Set.of("admin", "password", "secret", "changeme", "sublinear");

    private AdminKeyPolicy() {}

    /** What is wrong with the key, or null when it is strong enough. */
    static String weakness(String key) {
        if (key.length() < MIN_LENGTH || key.length() > 200) {
            return "must be " + MIN_LENGTH + " to 200 characters long (it has " + key.length() + ")";
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return "must be printable ASCII without spaces";
        }
        if (key.chars().distinct().count() < MIN_DISTINCT) {
            return "must have at least " + MIN_DISTINCT + " different characters";
        }
        String lower = key.toLowerCase(Locale.ROOT);
        if (KNOWN.stream().anyMatch(word -> lower.replace(word, "").length() < MIN_LENGTH / 2)) {
            return "is mostly a well-known word; use a random key (e.g. openssl rand -base64 32)";
        }
        return null;
    }
}
