package dev.sublinear.optimizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;

/**
 * An optimizer whose state between steps (moments, step counts) can be written out and read back,
 * so that a run resumed from a checkpoint continues exactly as if it had not stopped; it also says
 * how much memory that state takes. {@link Adafactor} and {@link Adam} implement it.
 *
 * <p>DJL's parameter ids are random per process, so state is written under stable names (a
 * parameter's path in its block) and read back with the new process's ids for those names.
 */
public interface StatefulOptimizer {

    /**
     * Writes the whole state so that {@link #loadState} on a fresh optimizer of the same options
     * continues exactly.
     *
     * @param out the stream; not closed
     * @param names parameter id to the name written for it; ids not in the map are written as is
     * @throws IOException if writing fails
     */
    void saveState(OutputStream out, Map<String, String> names) throws IOException;

    /**
     * Like {@link #saveState(OutputStream, Map)}, under the parameter ids of this process.
     *
     * @param out the stream; not closed
     * @throws IOException if writing fails
     */
    default void saveState(OutputStream out) throws IOException {
        saveState(out, Map.of());
    }

    /**
     * Reads state written by {@link #saveState}. It must come before the first update; each
     * parameter's state is checked against the parameter at its first update.
     *
     * @param in the stream; not closed
     * @param ids the name written for a parameter to its id in this process; names not in the map
     *     are taken as ids
     * @throws IOException if reading fails or the data is not this optimizer's state
     * @throws IllegalStateException if this optimizer has already taken a step
     */
    void loadState(InputStream in, Map<String, String> ids) throws IOException;

    /**
     * Like {@link #loadState(InputStream, Map)}, for state saved under parameter ids.
     *
     * @param in the stream; not closed
     * @throws IOException if reading fails or the data is not this optimizer's state
     */
    default void loadState(InputStream in) throws IOException {
        loadState(in, Map.of());
    }

    /**
     * Bytes of the state arrays held now, summed over parameters and devices (scratch space is not
     * state).
     *
     * @return the state bytes
     */
    long stateBytes();

    /**
     * What Adam would hold for the parameters updated so far: two float32 tensors per parameter and
     * device.
     *
     * @return the Adam-equivalent bytes
     */
    long adamEquivalentBytes();

    /**
     * The latest step of every parameter, for optimizers that measure it.
     *
     * @return the figures, or empty where the optimizer keeps none (Adam)
     */
    Optional<StepDiagnostics> lastStepDiagnostics();
}
