package dev.sublinear.jobs.common;

import java.util.List;

/** One page of a list, newest or oldest first as the list says; {@code hasMore} when a next page exists. */
public record Page<T>(List<T> data, boolean hasMore) {

    /** Takes a query's {@code limit + 1} rows and keeps {@code limit}. */
    public static <T> Page<T> of(List<T> rows, int limit) {
        return rows.size() > limit ? new Page<>(List.copyOf(rows.subList(0, limit)), true) : new Page<>(rows, false);
    }
}
