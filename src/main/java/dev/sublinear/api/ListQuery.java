package dev.sublinear.api;

import dev.sublinear.jobs.common.InvalidRequestException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A list endpoint's query string, checked whole: every parameter the list does not know is refused
 * naming it, so that a filter a client believes applied (say {@code order} where it is not taken) is
 * never silently dropped; and OpenAI's {@code metadata[key]=value} filters, which the Stainless SDKs
 * send as deep objects, read into a map.
 */
final class ListQuery {

    static final String METADATA = "metadata";

    /** The most metadata pairs a filter may give: a job holds at most 16. */
    static final int MAX_METADATA_PAIRS = 16;

    private static final Pattern METADATA_KEY = Pattern.compile("metadata\\[(.*)]");

    private ListQuery() {}

    /**
     * Refuses a parameter not in {@code known} (nor, with {@code metadata}, of the form
     * {@code metadata[key]}), and one given twice.
     */
    static void only(HttpServletRequest request, boolean metadata, String... known) {
        Set<String> names = Set.of(known);
        for (String name : Collections.list(request.getParameterNames())) {
            boolean allowed = names.contains(name)
                    || (metadata && METADATA_KEY.matcher(name).matches());
            if (!allowed) {
                Set<String> listed = new TreeSet<>(names);
                if (metadata) {
                    listed.add("metadata[key]");
                }
                throw new InvalidRequestException(
                        InvalidRequestException.echo(name),
                        "unknown query parameter '" + InvalidRequestException.echo(name) + "'; this list takes "
                                + String.join(", ", listed));
            }
            if (request.getParameterValues(name).length > 1) {
                throw new InvalidRequestException(
                        InvalidRequestException.echo(name),
                        "query parameter '" + InvalidRequestException.echo(name) + "' was given more than once");
            }
        }
    }

    /** The {@code metadata[key]=value} pairs of the query, in their order. */
    static Map<String, String> metadata(HttpServletRequest request) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String name : Collections.list(request.getParameterNames())) {
            Matcher m = METADATA_KEY.matcher(name);
            if (!m.matches()) {
                continue;
            }
            String key = m.group(1);
            if (key.isEmpty() || key.length() > 64) {
                throw new InvalidRequestException(
                        InvalidRequestException.echo(name), "a metadata key must be 1 to 64 characters");
            }
            pairs.put(key, request.getParameter(name));
        }
        if (pairs.size() > MAX_METADATA_PAIRS) {
            throw new InvalidRequestException(
                    METADATA, "at most " + MAX_METADATA_PAIRS + " metadata pairs (were " + pairs.size() + ")");
        }
        return pairs;
    }

    /** {@code order}: {@code asc} (oldest first) or {@code desc} (newest first, the default). */
    static boolean oldestFirst(String order) {
        if (order == null || order.equals("desc")) {
            return false;
        }
        if (order.equals("asc")) {
            return true;
        }
        throw new InvalidRequestException(
                "order", "'order' must be asc or desc, not '" + InvalidRequestException.echo(order) + "'");
    }
}
