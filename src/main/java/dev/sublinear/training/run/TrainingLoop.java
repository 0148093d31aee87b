package dev.sublinear.training.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.cuda.CudaUtils;
import dev.sublinear.optimizer.StatefulOptimizer;
import dev.sublinear.optimizer.StepDiagnostics;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.data.Encoder.Encoded;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The training loop of one {@link TrainingRun} and its bookkeeping: micro-batches, optimizer steps,
 * validation, checkpoints and the reports its listener reads.
 */
final class TrainingLoop {
    private final TrainingSpec spec;
    private final RunControl control;
    private final TrainingListener listener;
    private final LoadedModel model;
    private final Trainer trainer;
    private final Optimizer optimizer;
    private final Batches training;
    private final Batches validation;
    private final int totalSteps;
    private final List<Float> losses = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private int step;
    private int epoch = 1;
    private int batchIndex;
    private long trainedTokens;
    private float lastValidLoss = Float.NaN;
    private String lastCheckpoint;
    private int firstStepOfThisProcess;
    /** Fixed for the run; counted once (DJL shape reads are JNI calls). */
    private final long parameterCount;

    private long optimizerStateBytes = -1;
    /** Per parameter, read with the totals at the first step; empty for an optimizer without state. */
    private List<ParameterFootprint> byParameter = List.of();

    private long adamEquivalentBytes;

    TrainingLoop(
            TrainingSpec spec,
            RunControl control,
            TrainingListener listener,
            LoadedModel model,
            Trainer trainer,
            Optimizer optimizer,
            Batches training,
            Batches validation,
            int totalSteps,
            Checkpoint.Contents resume) {
        this.spec = spec;
        this.control = control;
        this.listener = listener;
        this.model = model;
        this.trainer = trainer;
        this.optimizer = optimizer;
        this.training = training;
        this.validation = validation;
        this.totalSteps = totalSteps;
        if (resume != null) {
            Checkpoint.Position p = resume.position();
            step = p.step();
            epoch = p.epoch();
            batchIndex = p.batchIndex();
            trainedTokens = p.trainedTokens();
            losses.addAll(p.losses());
            lastCheckpoint = spec.resumeFrom();
        }
        firstStepOfThisProcess = step;
        parameterCount = model.parameterCount();
    }

    RunOutcome run() throws TrainingFailedException, IOException {
        TrainingPlan h = spec.hyperparameters();
        if (step == 0) {
            evaluate(); // where the model starts: the curve's first point
        }
        while (step < totalSteps) {
            if (control.cancelRequested()) {
                return outcome(RunOutcome.Status.CANCELLED);
            }
            if (control.pauseRequested()) {
                checkpoint();
                return outcome(RunOutcome.Status.PAUSED);
            }
            if (!trainStep()) {
                break;
            }
            if (h.evalIntervalSteps() > 0 && step % h.evalIntervalSteps() == 0 && step < totalSteps) {
                evaluate();
            }
            if (h.checkpointIntervalSteps() > 0 && step % h.checkpointIntervalSteps() == 0 && step < totalSteps) {
                checkpoint();
            }
        }
        evaluate();
        checkpoint();
        if (spec.outputDirectory() != null) {
            model.save(spec.outputDirectory());
        }
        return outcome(RunOutcome.Status.COMPLETED);
    }

    /** One optimizer step over gradientAccumulation micro-batches; false when the data ran out. */
    private boolean trainStep() throws TrainingFailedException {
        int accumulation = spec.hyperparameters().gradientAccumulation();
        long begin = System.nanoTime();
        double lossSum = 0;
        int micro = 0;
        long tokens = 0;
        TokenAccuracy.Counts accuracy = TokenAccuracy.Counts.NONE;
        // The last micro-batch's arrays and activations are freed after the optimizer step, not
        // before: freeing them first returns memory that the step's gradient copies then fault
        // in again. Earlier micro-batches' go as soon as their gradients are accumulated, so
        // that gradient accumulation does not multiply the activations' memory (4 micro-batches of
        // lm-tiny, 32 x 128 tokens, a step: about 1,000 MB of growth with all kept, 340 MB so).
        NDManager scope = null;
        try {
            GradientCollection.LOCK.lock();
            try (GradientCollector collector = trainer.newGradientCollector()) {
                for (; micro < accumulation; micro++) {
                    if (batchIndex >= training.perEpoch()) {
                        if (epoch >= spec.hyperparameters().epochs()) {
                            break;
                        }
                        epoch++;
                        batchIndex = 0;
                    }
                    List<Encoded> batch = training.batch(epoch, batchIndex++);
                    if (scope != null) {
                        scope.close();
                    }
                    scope = trainer.getManager().newSubManager();
                    Batches.Arrays arrays =
                            Batches.toArrays(scope, batch, model.tokenizer().padId());
                    Pass pass = forwardBackward(collector, scope, arrays, accumulation);
                    lossSum += pass.loss();
                    accuracy = accuracy.plus(pass.accuracy());
                    tokens += arrays.tokens();
                    // the activations' peak: stop here, not after the next micro-batch adds its own
                    control.checkMemory(step + 1);
                }
            } finally {
                GradientCollection.LOCK.unlock();
            }
            if (micro > 0) {
                float stepLoss = (float) (lossSum / micro);
                if (!Float.isFinite(stepLoss)) {
                    // stop before the step: the weights and the last checkpoint stay as they were
                    throw new TrainingFailedException(
                            "training loss became " + stepLoss + " at step " + (step + 1), step + 1);
                }
                OptimizerStep.run(trainer, optimizer);
                control.checkMemory(step + 1); // the optimizer's state appears at the first step
            }
        } finally {
            if (scope != null) {
                scope.close();
            }
        }
        if (micro == 0) {
            return false;
        }
        float loss = (float) (lossSum / micro);
        step++;
        trainedTokens += tokens;
        losses.add(loss);
        report(loss, accuracy.fraction(), tokens, System.nanoTime() - begin);
        return true;
    }

    /** A micro-batch's loss and the counts of its accuracy. */
    private record Pass(double loss, TokenAccuracy.Counts accuracy) {}

    /** Forward and backward of one micro-batch, split over the devices. */
    private Pass forwardBackward(
            GradientCollector collector, NDManager scope, Batches.Arrays arrays, int accumulation) {
        Device[] devices = trainer.getDevices();
        int pieces = Math.min(devices.length, arrays.rows());
        boolean classification = model.config().task() == TaskType.CLASSIFICATION;
        double loss = 0;
        TokenAccuracy.Counts accuracy = TokenAccuracy.Counts.NONE;
        for (int p = 0; p < pieces; p++) {
            int from = arrays.rows() * p / pieces;
            int to = arrays.rows() * (p + 1) / pieces;
            Batches.Arrays piece = pieces == 1 ? arrays : arrays.slice(scope.newSubManager(devices[p]), from, to);
            NDList predictions = trainer.forward(piece.inputs(), piece.labels());
            NDArray pieceLoss = trainer.getLoss().evaluate(piece.labels(), predictions);
            double weight = (double) (to - from) / arrays.rows();
            if (pieces == 1 && accumulation == 1) {
                collector.backward(pieceLoss);
            } else {
                // an array in the batch's scope, alive until after backward (see CausalSelfAttention)
                NDArray factor = scope.create((float) (weight / accumulation));
                collector.backward(pieceLoss.mul(factor));
            }
            loss += pieceLoss.getFloat() * weight;
            // the predictions' arrays: the argmax and comparisons live in the batch's scope too
            accuracy =
                    accuracy.plus(TokenAccuracy.count(piece.labels(), predictions.singletonOrThrow(), classification));
        }
        return new Pass(loss, accuracy);
    }

    private void report(float loss, float accuracy, long tokens, long nanos) throws TrainingFailedException {
        float stepSize;
        float updateRms = Float.NaN;
        float clipRate = Float.NaN;
        long state;
        long adam;
        StatefulOptimizer stateful = optimizer instanceof StatefulOptimizer s ? s : null;
        Optional<StepDiagnostics> diagnostics = stateful == null ? Optional.empty() : stateful.lastStepDiagnostics();
        if (diagnostics.isPresent()) {
            StepDiagnostics d = diagnostics.get();
            if (!Float.isFinite(d.meanUpdateRms())) {
                Map<String, String> names = model.parameterNames();
                String which = d.parameters().stream()
                        .filter(p -> !Float.isFinite(p.updateRms()))
                        .map(p -> names.getOrDefault(p.parameterId(), p.parameterId()) + " (RMS " + p.updateRms() + ")")
                        .collect(Collectors.joining(", "));
                throw new TrainingFailedException(
                        "the update became non-finite at step " + step + " (a gradient was infinite or NaN) in "
                                + which,
                        step);
            }
            stepSize = d.meanAlpha();
            updateRms = d.meanUpdateRms();
            clipRate = d.clipRate();
        } else {
            stepSize = spec.optimizer().learningRate().peak();
        }
        if (stateful != null) {
            if (optimizerStateBytes < 0) {
                // every parameter has its state after the first step, and it never changes size
                optimizerStateBytes = stateful.stateBytes();
                adamEquivalentBytes = stateful.adamEquivalentBytes();
                byParameter = ParameterFootprint.of(optimizer, model);
            }
            state = optimizerStateBytes;
            adam = adamEquivalentBytes;
        } else {
            adam = 8L * parameterCount * trainer.getDevices().length;
            state = adam;
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        int doneHere = step - firstStepOfThisProcess;
        double eta = doneHere == 0 ? Double.NaN : elapsed / doneHere * (totalSteps - step);
        Runtime rt = Runtime.getRuntime();
        listener.onStep(new StepReport(
                new StepReport.Progress(step, totalSteps, epoch, trainedTokens, elapsed, eta),
                loss,
                accuracy,
                new StepReport.Throughput(tokens, tokens / (nanos / 1e9)),
                new StepReport.Diagnostics(stepSize, updateRms, clipRate),
                new StepReport.OptimizerMemory(state, adam, 4L * parameterCount, byParameter),
                new StepReport.Memory(rt.totalMemory() - rt.freeMemory(), ProcessMemory.residentBytes(), gpuBytes())));
    }

    private long gpuBytes() {
        Device device = trainer.getDevices()[0];
        return device.isGpu() ? CudaUtils.getGpuMemory(device).getUsed() : -1;
    }

    private void evaluate() throws MemoryBudgetExceededException {
        if (validation.isEmpty()) {
            return;
        }
        double lossSum = 0;
        long weightSum = 0;
        TokenAccuracy.Counts accuracy = TokenAccuracy.Counts.NONE;
        boolean classification = model.config().task() == TaskType.CLASSIFICATION;
        try (NoGrad ignored = NoGrad.enter()) {
            for (int b = 0; b < validation.perEpoch(); b++) {
                List<Encoded> batch = validation.batch(1, b);
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    Batches.Arrays arrays =
                            Batches.toArrays(scope, batch, model.tokenizer().padId());
                    NDList predictions = trainer.evaluate(arrays.inputs());
                    float loss = trainer.getLoss()
                            .evaluate(arrays.labels(), predictions)
                            .getFloat();
                    TokenAccuracy.Counts counts =
                            TokenAccuracy.count(arrays.labels(), predictions.singletonOrThrow(), classification);
                    // weight each batch by what its loss averages over, which is what the accuracy
                    // counts over too: the mask's sum (target tokens) or the rows
                    long weight = (long) counts.weight();
                    lossSum += (double) loss * weight;
                    weightSum += weight;
                    accuracy = accuracy.plus(counts);
                    control.checkMemory(step);
                }
            }
        }
        lastValidLoss = (float) (lossSum / Math.max(weightSum, 1));
        listener.onEvaluation(new EvaluationReport(step, lastValidLoss, accuracy.fraction()));
    }

    private void checkpoint() throws IOException, TrainingFailedException {
        if (!model.parametersFinite()) {
            // never write a checkpoint that cannot be trained from: the last good one stays
            throw new TrainingFailedException("the parameters became non-finite after step " + step, step);
        }
        String name = Checkpoint.name(step);
        Checkpoint.write(
                spec.checkpoints(),
                name,
                model,
                optimizer,
                new Checkpoint.Position(
                        step,
                        epoch,
                        batchIndex,
                        trainedTokens,
                        losses,
                        spec.optimizer().type().name()));
        lastCheckpoint = name;
        listener.onCheckpoint(name, step, spec.checkpoints().size(name));
        List<String> names = spec.checkpoints().list();
        for (int i = 0; i < names.size() - spec.hyperparameters().keepCheckpoints(); i++) {
            if (!names.get(i).equals(name)) {
                spec.checkpoints().delete(names.get(i));
            }
        }
        control.checkMemory(step); // serialising the model and its state takes memory too
    }

    private RunOutcome outcome(RunOutcome.Status status) {
        float last = losses.isEmpty() ? Float.NaN : losses.get(losses.size() - 1);
        return new RunOutcome(status, step, last, lastValidLoss, List.copyOf(losses), trainedTokens, lastCheckpoint);
    }
}
