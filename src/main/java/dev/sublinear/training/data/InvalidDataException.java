package dev.sublinear.training.data;

import java.util.List;
import java.util.stream.Collectors;

/** A data file that cannot be trained on: the user's error, with every problem found. */
public final class InvalidDataException extends Exception {

    private static final int SHOWN = 20;
    private final transient List<DataProblem> problems;

    public InvalidDataException(List<DataProblem> problems) {
        super(summary(problems));
        this.problems = List.copyOf(problems);
    }

    public List<DataProblem> problems() {
        return problems;
    }

    private static String summary(List<DataProblem> problems) {
        String shown = problems.stream().limit(SHOWN).map(DataProblem::toString).collect(Collectors.joining("; "));
        int more = problems.size() - SHOWN;
        return problems.size() + " problem(s) in the data: " + shown + (more > 0 ? "; and " + more + " more" : "");
    }
}
