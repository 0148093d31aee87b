package dev.sublinear.jobs.common;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * An enum of the job service whose constants have an id in its tables and its API: by default the
 * lower-case name ({@code QUEUED} is "queued").
 */
public interface WireId {

    /** The constant's name (an enum's own). */
    String name();

    default String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The constant of {@code type} whose id is {@code id}, if any. */
    static <E extends Enum<E> & WireId> Optional<E> find(Class<E> type, String id) {
        return Arrays.stream(type.getEnumConstants())
                .filter(c -> c.id() != null && c.id().equals(id))
                .findFirst();
    }

    /** The constant of {@code type} whose id is {@code id}; a stored value no constant has is a bug. */
    static <E extends Enum<E> & WireId> E parse(Class<E> type, String id) {
        return find(type, id)
                .orElseThrow(
                        () -> new IllegalArgumentException("no " + type.getSimpleName() + " has the id '" + id + "'"));
    }
}
