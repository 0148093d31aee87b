package dev.sublinear.training.data;

/**
 * Something wrong (or worth a warning) in a data file, pinned to its line.
 *
 * @param file which file: "training" or "validation"
 * @param line 1-based line number; 0 for the file as a whole
 * @param field the JSON field concerned, or null
 * @param message what is wrong, in plain words
 */
public record DataProblem(String file, int line, String field, String message) {

    @Override
    public String toString() {
        String where = line > 0 ? file + " line " + line : file + " file";
        return where + (field != null ? ", field '" + field + "'" : "") + ": " + message;
    }
}
