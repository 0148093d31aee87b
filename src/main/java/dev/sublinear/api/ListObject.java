package dev.sublinear.api;

import dev.sublinear.jobs.Page;
import java.util.List;
import java.util.function.Function;

/** OpenAI's list envelope: {@code {"object": "list", "data": [...], "has_more": bool}}. */
public record ListObject<T>(String object, List<T> data, boolean hasMore, String firstId, String lastId) {

    static <T> ListObject<T> of(List<T> data, boolean hasMore, Function<T, String> id) {
        return new ListObject<>("list", data, hasMore, data.isEmpty() ? null : id.apply(data.get(0)),
                data.isEmpty() ? null : id.apply(data.get(data.size() - 1)));
    }

    static <R, T> ListObject<T> of(Page<R> page, Function<R, T> map, Function<T, String> id) {
        return of(page.data().stream().map(map).toList(), page.hasMore(), id);
    }
}
