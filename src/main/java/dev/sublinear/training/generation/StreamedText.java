package dev.sublinear.training.generation;

import dev.sublinear.training.data.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of the tokens generated so far, handed to a {@link TokenStream} as it becomes final. The
 * whole sequence is decoded again after each token (a token's text can depend on its neighbours: a
 * character split over byte tokens, a decoder that joins pieces), and text is held back while it ends
 * in an incomplete character (U+FFFD) or in what could be the start of a stop sequence. Once a stop
 * sequence appears the text ends before it.
 */
final class StreamedText {

    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final TokenStream stream;
    private final List<Integer> ids = new ArrayList<>();
    private final List<TokenScore> tokens = new ArrayList<>();
    private final List<TokenScore> unsent = new ArrayList<>();
    private String text = "";
    private String sent = "";

    StreamedText(Tokenizer tokenizer, List<String> stops, TokenStream stream) {
        this.tokenizer = tokenizer;
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
        this.stream = stream;
    }

    /** Adds a generated token; true when the text now holds a stop sequence (and ends before it). */
    boolean add(TokenScore token) {
        ids.add(token.id());
        tokens.add(token);
        unsent.add(token);
        String decoded =
                tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
        int cut = firstStop(decoded);
        if (cut >= 0) {
            text = decoded.substring(0, cut);
            return true;
        }
        text = decoded;
        int end = decoded.length();
        while (end > 0 && decoded.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        end -= stopPrefixAtEnd(decoded.substring(0, end));
        if (end > sent.length() && decoded.startsWith(sent)) {
            send(decoded.substring(0, end));
        }
        return false;
    }

    /** Sends what is left and answers the whole text: the concatenation of everything sent. */
    String finish() {
        String whole = text.startsWith(sent) ? text : sent;
        if (whole.length() > sent.length() || !unsent.isEmpty()) {
            send(whole);
        }
        return sent;
    }

    /** Every token added, in order. */
    List<TokenScore> tokens() {
        return List.copyOf(tokens);
    }

    private void send(String upTo) {
        String delta = upTo.substring(sent.length());
        sent = upTo;
        List<TokenScore> batch = List.copyOf(unsent);
        unsent.clear();
        stream.next(delta, batch);
    }

    private int firstStop(String decoded) {
        int first = -1;
        for (String stop : stops) {
            int at = decoded.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The length of the longest end of {@code s} that some stop sequence begins with. */
    private int stopPrefixAtEnd(String s) {
        int longest = 0;
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, s.length()); n > longest; n--) {
                if (s.endsWith(stop.substring(0, n))) {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }
}
