package dev.sublinear.api;

import dev.sublinear.jobs.common.Page;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.function.Function;

/** OpenAI's list envelope: {@code {"object": "list", "data": [...], "has_more": bool}}. */
@Schema(
        description = "A page of a list; pass `last_id` as `after` for the next page while `has_more`.",
        example = "{\"object\": \"list\", \"data\": [], \"has_more\": false, \"first_id\": null, \"last_id\": null}")
public record ListObject<T>(
        String object,
        List<T> data,
        boolean hasMore,
        @Schema(types = {"string", "null"}) String firstId,
        @Schema(types = {"string", "null"}) String lastId) {

    static <T> ListObject<T> of(List<T> data, boolean hasMore, Function<T, String> id) {
        return new ListObject<>(
                "list",
                data,
                hasMore,
                data.isEmpty() ? null : id.apply(data.get(0)),
                data.isEmpty() ? null : id.apply(data.get(data.size() - 1)));
    }

    /**
     * The page with {@code ""} for the ids of an empty page: openai-java types the files list's
     * {@code first_id} and {@code last_id} as required strings, so a null there makes a client with
     * response validation throw on an empty files list (the other lists' types allow them out).
     */
    ListObject<T> withStringIds() {
        return new ListObject<>(object, data, hasMore, firstId == null ? "" : firstId, lastId == null ? "" : lastId);
    }

    static <R, T> ListObject<T> of(Page<R> page, Function<R, T> map, Function<T, String> id) {
        return of(page.data().stream().map(map).toList(), page.hasMore(), id);
    }
}
