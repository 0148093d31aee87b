package dev.sublinear.jobs.files;

import dev.sublinear.jobs.common.InvalidRequestException;
import java.util.Locale;

/**
 * What a stored file may be called. The name is shown in listings, the dashboard and download
 * dialogs, so a name must read as what it is: no path separators or {@code ..}, and none of the
 * characters that change how the rest displays or hide themselves. {@code evil}, a right-to-left
 * override (U+202E) and {@code gnp.exe} display as {@code evilexe.png}; format characters
 * (zero-width, bidi marks and isolates, soft hyphen, tags), controls, line and paragraph
 * separators and non-characters are refused the same way. Every other script is welcome.
 */
final class FileNames {

    static final int MAX_LENGTH = 255;

    private FileNames() {}

    /** Refuses {@code filename} with a 400 naming {@code file}, saying which character is at fault but not echoing the
     * name. */
    static void check(String filename) {
        if (filename == null || filename.isBlank() || filename.length() > MAX_LENGTH) {
            throw new InvalidRequestException(
                    "file", "the file part needs a file name of 1 to " + MAX_LENGTH + " characters");
        }
        if (filename.contains("..")) {
            throw new InvalidRequestException("file", "the file name may not contain '..'");
        }
        for (int i = 0; i < filename.length(); ) {
            int c = filename.codePointAt(i);
            if (c == '/' || c == '\\') {
                throw new InvalidRequestException(
                        "file", "the file name may not contain path separators ('/' or '\\')");
            }
            if (hidden(c)) {
                throw new InvalidRequestException(
                        "file",
                        String.format(
                                Locale.ROOT,
                                "the file name may not contain"
                                        + " control, invisible formatting or "
                                        + "bidirectional characters, line separators or"
                                        + " non-characters (U+%04X at character %d)",
                                c,
                                i + 1));
            }
            i += Character.charCount(c);
        }
    }

    private static boolean hidden(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE -> true;
            // the 66 non-characters: U+FDD0..U+FDEF and the last two code points of every plane
            default -> c >= 0xFDD0 && c <= 0xFDEF || (c & 0xFFFE) == 0xFFFE;
        };
    }
}
