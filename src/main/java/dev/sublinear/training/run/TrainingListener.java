package dev.sublinear.training.run;

import dev.sublinear.training.data.DataProblem;

/** Hears what a run does; every method runs on the training thread, so keep them quick. */
public interface TrainingListener {

    default void onWarning(DataProblem warning) {}

    default void onStep(StepReport report) {}

    default void onEvaluation(EvaluationReport report) {}

    default void onCheckpoint(String name, int step, long bytes) {}

    TrainingListener NONE = new TrainingListener() {};
}
